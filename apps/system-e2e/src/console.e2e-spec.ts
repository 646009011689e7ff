import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  connectField,
  createGadClient,
  type FieldConnection,
  type GadRestClient,
} from '@gad/client';
import type { DeliveredCommand, Unit } from '@gad/contracts';
import {
  chromiumExecutablePath,
  createTestEnvironment,
  freePort,
  startTestApp,
  waitFor,
  type ServiceProcess,
  type TestEnvironment,
} from '@gad/testing';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const repoRoot = join(__dirname, '..', '..', '..');
const consoleDist = join(repoRoot, 'dist', 'apps', 'console', 'index.html');
const screenshotDir = join(repoRoot, 'tmp', 'screenshots');
const PASSWORD = 'console-e2e-password-1';
/** Puerta del Sol, Madrid: where the incidents are. */
const SOL: [number, number] = [-3.7038, 40.4168];

/**
 * The dispatch console (apps/console) in real Chromium against the built services as processes:
 * two dispatchers log in with passwords; A creates an incident from the map and the form,
 * recommends and dispatches the nearest unit and watches a scripted field device acknowledge it
 * (delivered, seen, accepted); B's screen shows the new incident, A's priority change and the close
 * without a reload. A silent device's escalation shows on A's screen. Screenshots of the main
 * screens go to tmp/screenshots (`npm run console:screenshots` copies the live map into docs/images).
 */
describe('dispatch console in Chromium', () => {
  const agencyId = `console-${Date.now().toString(36)}`;
  let testEnv: TestEnvironment | undefined;
  const services: Record<string, ServiceProcess> = {};
  let consoleServer: ChildProcess | undefined;
  let consoleUrl = '';
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  const devices: FieldConnection[] = [];
  const pageErrors: string[] = [];
  let admin: GadRestClient;
  const units: Record<'near' | 'far' | 'silent' | 'off', Unit> = {} as never;
  const commands: DeliveredCommand[] = [];
  let responsive: FieldConnection;

  beforeAll(async () => {
    const browserPath = chromiumExecutablePath();
    if (!existsSync(consoleDist)) {
      throw new Error(`${consoleDist} does not exist; build first: node tools/scripts/build.mjs`);
    }
    const consolePort = await freePort();
    const origin = `http://127.0.0.1:${consolePort}`;
    const env = await createTestEnvironment({
      CORS_ORIGINS: origin,
      ESCALATION_P1_DELIVER_MS: '1500',
      ESCALATION_P1_ACCEPT_MS: '6000',
      OUTBOX_POLL_MS: '50',
    });
    testEnv = env;
    services['geo-service'] = await startTestApp('geo-service', env);
    services['api-gateway'] = await startTestApp('api-gateway', env, {
      env: {
        BOOTSTRAP_AGENCY_ID: agencyId,
        BOOTSTRAP_AGENCY_NAME: 'Console e2e',
        BOOTSTRAP_ADMIN_USERNAME: 'console-admin',
        BOOTSTRAP_ADMIN_EMAIL: 'console-admin@example.org',
        BOOTSTRAP_ADMIN_PASSWORD: PASSWORD,
      },
    });
    const [ws, notify] = await Promise.all(
      ['ws-gateway', 'notification-service'].map((app) => startTestApp(app, env)),
    );
    services['ws-gateway'] = ws;
    services['notification-service'] = notify;

    consoleServer = spawn(
      process.execPath,
      [
        join(repoRoot, 'tools', 'scripts', 'console-server.mjs'),
        '--port',
        String(consolePort),
        '--api-url',
        services['api-gateway'].url,
        '--ws-url',
        ws.url,
        '--agency',
        agencyId,
        '--stale-after',
        '60',
        '--center',
        `${SOL[1]},${SOL[0]}`,
        '--zoom',
        '15',
      ],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    consoleUrl = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: consoleServer?.stdout as NodeJS.ReadableStream });
      lines.on('line', (line) => {
        const match = /^console: (\S+)/.exec(line);
        if (match) resolve(match[1] as string);
      });
      consoleServer?.once('exit', (code) => reject(new Error(`console server exited ${code}`)));
    });

    admin = createGadClient({ baseUrl: services['api-gateway'].url });
    await admin.ops.login({
      body: { login: 'console-admin', password: PASSWORD, agency: agencyId },
    });
    for (const name of ['dispatcher-a', 'dispatcher-b']) {
      await admin.ops.createUser({
        body: {
          username: name,
          email: `${name}@example.org`,
          displayName: name === 'dispatcher-a' ? 'Ana (A)' : 'Bruno (B)',
          locale: 'en',
          roles: ['dispatcher'],
          password: PASSWORD,
        },
      });
    }
    await setUpUnits();
    browser = await chromium.launch({ executablePath: browserPath, args: ['--no-sandbox'] });
    mkdirSync(screenshotDir, { recursive: true });
  }, 240_000);

  afterAll(async () => {
    for (const device of devices) device.close();
    await browser?.close();
    consoleServer?.kill('SIGTERM');
    await Promise.all(Object.values(services).map((service) => service.stop()));
    await testEnv?.cleanUp();
  }, 60_000);

  afterEach(() => {
    const state = expect.getState();
    if (state.assertionCalls !== state.numPassingAsserts) {
      console.log(pageErrors.join('\n'));
      for (const service of Object.values(services)) console.log(service.tail(30));
    }
  });

  /** Four units around Sol: two with devices (one answers, one stays silent), one far, one off duty. */
  async function setUpUnits(): Promise<void> {
    const specs = [
      { key: 'near', callSign: 'M-11', officer: 'officer-11', at: [-3.7052, 40.4175] },
      { key: 'far', callSign: 'M-12', officer: 'officer-12', at: [-3.6885, 40.4233] },
      { key: 'silent', callSign: 'M-13', officer: 'officer-13', at: [-3.7101, 40.4139] },
      { key: 'off', callSign: 'M-14', officer: 'officer-14', at: [-3.6993, 40.4105] },
    ] as const;
    for (const spec of specs) {
      const { body: unit } = await admin.ops.createUnit({
        body: { callSign: spec.callSign, type: 'patrol', capabilities: [], crew: [spec.officer] },
      });
      if (spec.key !== 'off') {
        await admin.ops.changeUnitStatus({
          params: { id: unit.id },
          body: { status: 'available', reason: 'on duty' },
        });
      }
      units[spec.key] = unit;
    }
    // Busy units for the map (and the excluded counts), working a P4 incident: one per status.
    const { body: scene } = await admin.incidents.create({
      type: 'traffic_control',
      priority: 'P4',
      location: { type: 'Point', coordinates: [-3.699, 40.419] },
    });
    const scenery = [
      { callSign: 'M-21', status: 'en_route', at: [-3.6978, 40.4189] },
      { callSign: 'M-22', status: 'on_scene', at: [-3.6992, 40.4192] },
      { callSign: 'M-23', status: 'returning', at: [-3.7009, 40.4129] },
      { callSign: 'M-24', status: 'out_of_service', at: [-3.6951, 40.4152] },
    ] as const;
    const sceneryUnits: { id: string; at: readonly [number, number] }[] = [];
    for (const spec of scenery) {
      const { body: unit } = await admin.ops.createUnit({
        body: { callSign: spec.callSign, type: 'patrol', capabilities: [], crew: [] },
      });
      await admin.ops.changeUnitStatus({ params: { id: unit.id }, body: { status: 'available' } });
      if (spec.status !== 'out_of_service') {
        await admin.ops.createAssignment({ params: { id: scene.id }, body: { unitId: unit.id } });
      }
      await admin.ops.changeUnitStatus({ params: { id: unit.id }, body: { status: spec.status } });
      sceneryUnits.push({ id: unit.id, at: spec.at });
    }
    const tracker = createGadClient({ baseUrl: services['api-gateway'].url });
    await tracker.auth.devLogin({ agencyId, userId: 'tracker-1', roles: ['service'] });
    const now = Date.now();
    await tracker.positions.report({
      positions: specs.map((spec, index) => ({
        unitId: units[spec.key].id,
        position: { type: 'Point', coordinates: [...spec.at] },
        // The off-duty unit's fix is old: drawn as stale.
        recordedAt: new Date(spec.key === 'off' ? now - 15 * 60_000 : now).toISOString(),
        seq: index + 1,
        accuracyM: 5,
      })),
    });
    await tracker.positions.report({
      positions: sceneryUnits.map((unit) => ({
        unitId: unit.id,
        position: { type: 'Point', coordinates: [unit.at[0], unit.at[1]] },
        recordedAt: new Date(now).toISOString(),
        seq: 1,
        accuracyM: 5,
      })),
    });
    responsive = await device(units.near.id, 'officer-11', (command) => commands.push(command));
    await device(units.silent.id, 'officer-13', () => undefined, false);
    const dispatcher = createGadClient({ baseUrl: services['api-gateway'].url });
    await dispatcher.auth.devLogin({ agencyId, userId: 'probe', roles: ['dispatcher'] });
    await waitFor(
      async () => {
        const { body } = await dispatcher.units.nearest({ lon: SOL[0], lat: SOL[1], limit: 5 });
        return body.items.some((item) => item.unitId === units.near.id) && body;
      },
      { description: 'geo-service knowing the units as available', timeoutMs: 20_000 },
    );
  }

  async function device(
    unitId: string,
    officer: string,
    onCommand: (command: DeliveredCommand) => void,
    autoAckDelivered = true,
  ): Promise<FieldConnection> {
    const api = createGadClient({ baseUrl: services['api-gateway'].url });
    await api.auth.devLogin({ agencyId, userId: officer, roles: ['officer'], unitId });
    const connection = connectField({
      url: services['ws-gateway'].url,
      token: api.getAccessToken() as string,
      transports: ['websocket'],
      autoAckDelivered,
      onCommand,
    });
    devices.push(connection);
    await waitFor(() => connection.socket.connected, { description: `${officer}'s device` });
    return connection;
  }

  async function openConsole(username: string): Promise<Page> {
    const context = await (browser as Browser).newContext({
      viewport: { width: 1440, height: 900 },
      locale: 'en-GB',
    });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(`${username}: ${error.message}`));
    await page.goto(consoleUrl);
    await page.getByTestId('login-form').waitFor();
    await page.fill('input[name=login]', username);
    await page.fill('input[name=password]', PASSWORD);
    await page.fill('input[name=agency]', agencyId);
    await page.keyboard.press('Enter');
    await page.getByTestId('console').waitFor();
    await page
      .locator('[data-testid=connection][data-status=connected]')
      .waitFor({ timeout: 15_000 });
    return page;
  }

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(screenshotDir, `${name}.png`) });

  const row = (page: Page, incidentId: string) =>
    page.locator(`[data-testid=incident-row][data-incident-id="${incidentId}"]`);

  it('A creates and dispatches, the device acknowledges, B follows it live to the close', async () => {
    const loginPage = await (browser as Browser).newPage({
      viewport: { width: 1440, height: 900 },
    });
    await loginPage.goto(consoleUrl);
    await loginPage.getByTestId('login-form').waitFor();
    await shot(loginPage, 'console-login');
    await loginPage.close();

    const a = await openConsole('dispatcher-a');
    const b = await openConsole('dispatcher-b');
    await b.evaluate(() => ((globalThis as unknown as { loadedOnce: boolean }).loadedOnce = true));
    // B reads the queue in English, A in Spanish: both languages are there.
    await a.getByTestId('language').click();
    await b.getByTestId('tab-queue').waitFor();

    // A: a new incident from a call. A click on the map places it; the coordinates are then typed.
    await a.keyboard.press('n');
    const form = a.getByTestId('create-incident-form');
    await form.waitFor();
    await a.getByTestId('map').click();
    expect(await form.locator('input[name=lat]').inputValue()).toMatch(/^-?\d+(\.\d+)?$/);
    await form.locator('input[name=lat]').fill(String(SOL[1]));
    await form.locator('input[name=lon]').fill(String(SOL[0]));
    await form.locator('input[name=type]').fill('cardiac_arrest');
    await form.locator('select[name=priority]').selectOption('P2');
    await form.locator('input[name=address]').fill('Puerta del Sol 1');
    await form.locator('textarea[name=description]').fill('Man collapsed in the square');
    await form.locator('button[type=submit]').click();
    const detail = a.getByTestId('incident-detail');
    await detail.waitFor();
    const incidentId = (await detail.getAttribute('data-incident-id')) as string;
    expect(incidentId).toMatch(/^[0-9a-f-]{36}$/);

    // B: the new incident appears in the queue, live.
    await row(b, incidentId).waitFor({ timeout: 15_000 });
    expect(await row(b, incidentId).getAttribute('data-priority')).toBe('P2');

    // A: the nearest available units, with distance, fix age and the excluded counts.
    await a.getByTestId('recommend').click();
    const recommendations = a.getByTestId('recommendation');
    await recommendations.first().waitFor();
    expect(await recommendations.first().getAttribute('data-unit-id')).toBe(units.near.id);
    expect(await recommendations.first().textContent()).toMatch(/M-11\s*\d+ m\d+ s/);
    expect(await a.getByTestId('excluded').textContent()).toMatch(/\d+/);
    await shot(a, 'console-recommend');
    await recommendations.first().getByTestId('dispatch-unit').click();

    // The device gets the command; A sees delivered, then seen, then accepted.
    const command = await waitFor(() => commands.find((c) => c.incidentId === incidentId), {
      description: 'the dispatch command on the device',
      timeoutMs: 15_000,
    });
    const assignment = detail.locator(`[data-testid=assignment][data-unit-id="${units.near.id}"]`);
    await assignment.locator('[data-stage=delivered]').waitFor({ timeout: 15_000 });
    expect(await responsive.ack(command.commandId, 'seen')).toMatchObject({ ok: true });
    await assignment.locator('[data-stage=seen]').waitFor({ timeout: 15_000 });
    expect(await responsive.ack(command.commandId, 'accepted')).toMatchObject({ ok: true });
    await assignment.locator('[data-stage=accepted]').waitFor({ timeout: 15_000 });
    await expect(assignment.getAttribute('data-status')).resolves.toBe('accepted');
    await shot(a, 'console-incident-detail');

    // A raises the priority: B's queue shows it without a reload.
    await detail.getByTestId('priority-select').selectOption('P1');
    await detail.getByTestId('apply-priority').click();
    await detail.locator('[data-testid=detail-message][data-kind=ok]').waitFor();
    await a.locator(`[data-testid=detail-priority]:text("P1")`).waitFor();
    await b
      .locator(`[data-testid=incident-row][data-incident-id="${incidentId}"][data-priority=P1]`)
      .waitFor({
        timeout: 15_000,
      });

    // A resolves and closes it: B (showing every status) sees it closed, without a reload.
    await b.getByTestId('filter-status').selectOption('all');
    for (const status of ['resolved', 'closed']) {
      await detail.getByTestId('status-select').selectOption(status);
      if (status === 'closed') {
        // Closing takes a disposition of the agency's list.
        await detail.getByTestId('disposition-select').selectOption('false_alarm');
        await detail.getByTestId('disposition-summary').fill('Smoke from a barbecue');
      }
      await detail.getByTestId('apply-status').click();
      await detail.locator(`[data-testid=detail-status][data-status=${status}]`).waitFor();
    }
    await b
      .locator(`[data-testid=incident-row][data-incident-id="${incidentId}"][data-status=closed]`)
      .waitFor({
        timeout: 15_000,
      });
    expect(
      await b.evaluate(() => (globalThis as unknown as { loadedOnce?: boolean }).loadedOnce),
    ).toBe(true);

    // B signs out: the session is revoked and a reload shows the login again.
    await b.getByTestId('logout').click();
    await b.getByTestId('login-form').waitFor();
    await b.reload();
    await b.getByTestId('login-form').waitFor();
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it("shows the escalation of a silent device on A's screen", async () => {
    const a = await openConsole('dispatcher-a');
    await a.getByTestId('tab-create').click();
    const form = a.getByTestId('create-incident-form');
    await form.locator('input[name=lat]').fill('40.4141');
    await form.locator('input[name=lon]').fill('-3.7098');
    await form.locator('input[name=type]').fill('structure_fire');
    await form.locator('select[name=priority]').selectOption('P1');
    await form.locator('button[type=submit]').click();
    const detail = a.getByTestId('incident-detail');
    await detail.waitFor();
    const incidentId = (await detail.getAttribute('data-incident-id')) as string;
    await a.getByTestId('recommend').click();
    const silent = a.locator(`[data-testid=recommendation][data-unit-id="${units.silent.id}"]`);
    await silent.waitFor();
    await silent.getByTestId('dispatch-unit').click();
    await detail.locator(`[data-testid=assignment][data-unit-id="${units.silent.id}"]`).waitFor();

    // Nobody acknowledges: the escalation shows in the banner and in the open incident.
    await a
      .locator(`[data-testid=escalation][data-incident-id="${incidentId}"]`)
      .waitFor({ timeout: 40_000 });
    await detail.getByTestId('detail-escalation').waitFor();
    expect(await a.getByTestId('escalations').textContent()).toContain('M-13');
    await shot(a, 'console-escalation');

    // An all-call: every on-duty unit gets it; the answering device's acceptance shows live.
    await a.keyboard.press('a');
    const allCallForm = a.getByTestId('all-call-form');
    await allCallForm.locator('input[name=title]').fill('Road closed');
    await allCallForm.locator('textarea[name=message]').fill('Gran Via closed until 18:00');
    await allCallForm.locator('button[type=submit]').click();
    const report = a.getByTestId('all-call-report');
    await report.waitFor();
    const allCallId = (await report.getAttribute('data-all-call-id')) as string;
    const message = await waitFor(
      () => commands.find((c) => c.kind === 'message' && c.payload?.['allCallId'] === allCallId),
      { description: 'the all-call on the device', timeoutMs: 15_000 },
    );
    expect(await responsive.ack(message.commandId, 'accepted')).toMatchObject({ ok: true });
    await report
      .locator(`[data-testid=all-call-unit][data-unit-id="${units.near.id}"][data-stage=accepted]`)
      .waitFor({ timeout: 15_000 });
    expect(await report.getByTestId('all-call-unit').count()).toBeGreaterThanOrEqual(3);
    await shot(a, 'console-all-call');

    // The unit list: a status change shows live.
    await a.keyboard.press('Escape');
    await a.keyboard.press('u');
    const offRow = a.locator(`[data-testid=unit-row][data-unit-id="${units.off.id}"]`);
    await offRow.locator('select').selectOption('out_of_service');
    await a
      .locator(`[data-testid=unit-row][data-unit-id="${units.off.id}"][data-status=out_of_service]`)
      .waitFor();
    await shot(a, 'console-units');

    // The live map: units by status (one stale), incidents by priority.
    await a.keyboard.press('Escape');
    await a.getByTestId('incident-queue').waitFor();
    await shot(a, 'console-live-map');
    expect(pageErrors).toEqual([]);
  }, 90_000);

  it('takes a call near an open incident of its type and links it there (issue #23)', async () => {
    const { body: open } = await admin.ops.createIncident({
      body: { type: 'gas_leak', priority: 'P2', location: { type: 'Point', coordinates: SOL } },
    });
    const a = await openConsole('dispatcher-a');
    await a.keyboard.press('n');
    const form = a.getByTestId('create-incident-form');
    await form.waitFor();
    // The call's point: about 55 m north of the open incident.
    await form.locator('input[name=lat]').fill(String(SOL[1] + 0.0005));
    await form.locator('input[name=lon]').fill(String(SOL[0]));
    await a.getByTestId('call-caller').fill('Lucía');
    await a.getByTestId('call-number').fill('+34 600 000 111');
    await a.getByTestId('call-location').fill('Puerta del Sol 3');
    await a.getByTestId('call-type').fill('gas_leak');
    await a.getByTestId('take-call').click();
    await a.getByTestId('duplicate-candidate').first().waitFor();
    await a.getByTestId('link-call').first().click();
    const detail = a.getByTestId('incident-detail');
    await detail.waitFor();
    expect(await detail.getAttribute('data-incident-id')).toBe(open.id);
    const { body: links } = await admin.ops.getIncidentLinks({ params: { id: open.id } });
    expect(links.calls.map((call) => call.callerName)).toEqual(['Lucía']);
  });
});
