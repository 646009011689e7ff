import { createHmac } from 'node:crypto';
import {
  connectDispatchFeed,
  connectField,
  createGadClient,
  type DispatchFeed,
  type FieldConnection,
  type GadRestClient,
} from '@gad/client';
import {
  EventTypes,
  type DeliveredCommand,
  type Envelope,
  type IncidentStatusChangedV1,
  type IncidentUpdatedV1,
  type Role,
} from '@gad/contracts';
import {
  createTestEnvironment,
  FakeSmtp,
  FakeTelegram,
  FakeWebhookReceiver,
  selfSignedCertificate,
  startTestApp,
  waitFor,
  type ServiceProcess,
  type TestEnvironment,
} from '@gad/testing';

const PLATFORM_ADMIN = { username: 'platform-ops', password: 'platform-ops-password-1' };
const PASSWORD = 'agency-b-password-1';
const BOT_TOKEN = '123456:GO-LIVE-token';
/** Puerta del Sol, Madrid: where the incident is. */
const SOL: [number, number] = [-3.7038, 40.4168];

/**
 * Issue #18 "an agency can go live", as a new agency does it, through the public REST API and the
 * sockets of the built services as processes (api-gateway, ws-gateway, geo-service,
 * notification-service): the platform admin (from BOOTSTRAP_PLATFORM_ADMIN_*) creates agency B and
 * its first admin; the admin sets a password with the one-time token, shortens the P1 escalation
 * ladder and allow-lists the webhook receiver's loopback host in the agency settings, creates a
 * dispatcher, a supervisor, an officer with a unit, links the supervisor's Telegram chat (the user
 * sends `/start <code>` to a fake Bot API) and e-mail (the code read from a fake SMTP server), and
 * adds an https webhook. A dispatcher creates a P1 incident and dispatches the nearest unit; the
 * officer's device reported a position and then ignores the command; the supervisor is paged on
 * Telegram and by e-mail, the webhook receives a call signed with the secret shown at creation, and
 * a second dispatcher's console (connectDispatchFeed) sees every change live, up to the close.
 */
describe('an agency can go live (issue #18)', () => {
  const run = Date.now().toString(36);
  const agencyId = `agency-b-${run}`;
  const telegram = new FakeTelegram();
  const smtp = new FakeSmtp();
  const certificate = selfSignedCertificate();
  /** The secret is only known once the webhook is created (shown once): set then. */
  const receiver = new FakeWebhookReceiver('unknown-until-created', certificate);
  let environment: TestEnvironment | undefined;
  const services: Record<string, ServiceProcess> = {};
  const opened: { close(): void }[] = [];

  beforeAll(async () => {
    await Promise.all([telegram.start(), smtp.start(), receiver.start()]);
    environment = await createTestEnvironment({ OUTBOX_POLL_MS: '50' });
    // Only the platform admin is bootstrapped: no agency exists until the test creates one.
    services['api-gateway'] = await startTestApp('api-gateway', environment, {
      env: {
        AUTH_DEV_LOGIN: 'false',
        BOOTSTRAP_PLATFORM_ADMIN_USERNAME: PLATFORM_ADMIN.username,
        BOOTSTRAP_PLATFORM_ADMIN_PASSWORD: PLATFORM_ADMIN.password,
      },
    });
    // Services that own a schema migrate it at boot: one after another.
    services['geo-service'] = await startTestApp('geo-service', environment);
    services['notification-service'] = await startTestApp('notification-service', environment, {
      env: {
        TELEGRAM_API_URL: telegram.url,
        TELEGRAM_BOT_TOKEN: BOT_TOKEN,
        TELEGRAM_BOT_USERNAME: 'gad_go_live_bot',
        TELEGRAM_POLL_TIMEOUT_S: '0',
        SMTP_HOST: '127.0.0.1',
        SMTP_PORT: String(smtp.port),
        NOTIFY_SECRETS_KEY: Buffer.alloc(32, 9).toString('base64'),
        WEBHOOK_CA_FILE: certificate.certFile,
        DELIVERY_BACKOFF_MS: '100',
      },
    });
    services['ws-gateway'] = await startTestApp('ws-gateway', environment);
  }, 240_000);

  afterAll(async () => {
    opened.forEach((item) => item.close());
    await Promise.all(Object.values(services).map((service) => service.stop()));
    await environment?.cleanUp();
    await Promise.all([telegram.stop(), smtp.stop(), receiver.stop()]);
  }, 60_000);

  afterEach(() => {
    const state = expect.getState();
    if (state.assertionCalls !== state.numPassingAsserts) {
      Object.values(services).forEach((service) => console.log(service.tail(15)));
    }
  });

  const client = (): GadRestClient => createGadClient({ baseUrl: services['api-gateway'].url });

  async function login(username: string): Promise<GadRestClient> {
    const api = client();
    await api.ops.login({ body: { login: username, password: PASSWORD, agency: agencyId } });
    return api;
  }

  /** Mails the fake SMTP server received for `address`. */
  const mailsTo = (address: string) => smtp.messages.filter((m) => m.to.includes(address));
  /** The 6-digit code of a verification mail (undefined for any other mail). */
  const codeIn = (raw: string): string | undefined => /code: (\d{6})/.exec(raw)?.[1];

  it('the platform admin creates agency B; its users, contacts and webhook are set up over REST; a silent unit pages the supervisor everywhere and a second console sees every change', async () => {
    // 1. The platform admin creates agency B and its first admin.
    const platform = client();
    await platform.ops.platformLogin({ body: PLATFORM_ADMIN });
    const { body: agency } = await platform.ops.createPlatformAgency({
      body: { id: agencyId, name: 'Agency B (go-live e2e)' },
    });
    expect(agency).toMatchObject({ id: agencyId, status: 'active' });
    const { body: firstAdmin } = await platform.ops.createPlatformAgencyAdmin({
      params: { agencyId },
      body: { username: 'b-admin', email: 'b-admin@agency-b.example' },
    });
    expect(firstAdmin.user.roles).toEqual(['admin']);
    const noPassword = await client()
      .ops.login({ body: { login: 'b-admin', password: PASSWORD, agency: agencyId } })
      .catch((error: { status?: number }) => error);
    expect(noPassword).toMatchObject({ status: 401 });
    await client().ops.setPasswordWithToken({
      body: { token: firstAdmin.setPasswordToken, password: PASSWORD },
    });
    const admin = await login('b-admin');

    // 2. Agency settings: a short P1 ladder and the receiver's loopback host allowed.
    const settings = await admin.ops.getAgencySettings({});
    const { body: configured } = await admin.ops.updateAgencySettings(
      {
        body: {
          escalation: { P1: { deliverMs: 1_000, acceptMs: 3_000, alertRoles: ['supervisor'] } },
          allowedWebhookHosts: ['127.0.0.1'],
        },
      },
      { ifMatch: settings.meta.etag },
    );
    expect(configured.settings.escalation.P1).toMatchObject({ acceptMs: 3_000 });

    const users: Record<string, string> = {};
    const people: [string, Role][] = [
      ['b-dispatcher', 'dispatcher'],
      ['b-console', 'dispatcher'],
      ['b-supervisor', 'supervisor'],
      ['b-officer', 'officer'],
    ];
    for (const [username, role] of people) {
      const { body: user } = await admin.ops.createUser({
        body: {
          username,
          email: `${username}@agency-b.example`,
          locale: 'en',
          roles: [role],
          password: PASSWORD,
        },
      });
      users[username] = user.id;
    }
    const { body: unit } = await admin.ops.createUnit({
      body: { callSign: 'B-1', type: 'patrol', capabilities: [], crew: [users['b-officer']] },
    });
    await admin.ops.changeUnitStatus({
      params: { id: unit.id },
      body: { status: 'available', reason: 'on duty' },
    });

    // The supervisor's Telegram: a one-time code the user sends to the bot as /start <code>.
    const supervisorId = users['b-supervisor'] as string;
    const { body: link } = await admin.ops.createUserTelegramLink({ params: { id: supervisorId } });
    expect(link.deepLink).toBe(`https://t.me/gad_go_live_bot?start=${link.code}`);
    const chatId = '424242';
    telegram.pushUpdate(chatId, `/start ${link.code}`);
    await waitFor(
      async () =>
        (await admin.ops.getUserContacts({ params: { id: supervisorId } })).body.telegram.linked,
      { description: 'the Telegram chat linked', timeoutMs: 15_000 },
    );
    // The supervisor's e-mail: the admin starts, the supervisor verifies with the mailed code.
    const address = 'sup.paging@agency-b.example';
    await admin.ops.startUserEmailVerification({
      params: { id: supervisorId },
      body: { email: address },
    });
    const code = await waitFor(
      () =>
        mailsTo(address)
          .map((m) => codeIn(m.raw))
          .find(Boolean),
      {
        description: 'the verification mail',
        timeoutMs: 15_000,
      },
    );
    const supervisor = await login('b-supervisor');
    const { body: contacts } = await supervisor.ops.verifyMyEmail({ body: { code } });
    expect(contacts).toMatchObject({
      telegram: { linked: true },
      email: { address, pending: null },
    });

    // The agency's webhook: https to the receiver; the secret is shown this once.
    const { body: webhook } = await admin.ops.createAgencyWebhook({
      body: { url: `${receiver.url}/gad`, description: 'CAD bridge' },
    });
    expect(webhook.secret).toBeTruthy();
    receiver.secret = webhook.secret;
    const { body: listed } = await admin.ops.listAgencyWebhooks({});
    expect(JSON.stringify(listed)).not.toContain(webhook.secret);

    // 5 (set up first). A second dispatcher's console follows the agency's feed.
    const consoleApi = await login('b-console');
    const seen: { event: Envelope; feedId: string }[] = [];
    let caughtUp = false;
    const feed: DispatchFeed = connectDispatchFeed({
      url: services['ws-gateway'].url,
      token: (request) => consoleApi.freshAccessToken(request),
      transports: ['websocket'],
      onEvent: (event, feedId) => seen.push({ event, feedId }),
      onCaughtUp: () => {
        caughtUp = true;
      },
    });
    opened.push(feed);
    await waitFor(() => caughtUp, { description: 'the console following the feed' });

    // 3. The officer's device reports a position, then ignores every command.
    const officer = await login('b-officer');
    const commands: DeliveredCommand[] = [];
    const device: FieldConnection = connectField({
      url: services['ws-gateway'].url,
      token: officer.getAccessToken() as string,
      transports: ['websocket'],
      autoAckDelivered: false,
      onCommand: (command) => commands.push(command),
    });
    opened.push(device);
    await waitFor(() => device.socket.connected, { description: "the officer's device" });
    expect(
      await device.reportPositions({
        unitId: unit.id,
        position: { type: 'Point', coordinates: [-3.7052, 40.4175] },
        recordedAt: new Date().toISOString(),
        seq: 1,
        accuracyM: 5,
      }),
    ).toMatchObject({ ok: true });

    const dispatcher = await login('b-dispatcher');
    await waitFor(
      async () => {
        const { body } = await dispatcher.units.nearest({ lon: SOL[0], lat: SOL[1], limit: 5 });
        return body.items.some((item) => item.unitId === unit.id);
      },
      { description: 'geo-service knowing the unit as available', timeoutMs: 20_000 },
    );
    const { body: incident } = await dispatcher.incidents.create({
      type: 'structure_fire',
      priority: 'P1',
      location: { type: 'Point', coordinates: SOL },
      address: 'Puerta del Sol 1, Madrid',
    });
    const { body: assignment } = await dispatcher.ops.createAssignment({
      params: { id: incident.id },
      body: { strategy: 'nearest' },
    });
    expect(assignment).toMatchObject({ unitId: unit.id, incidentId: incident.id });
    await waitFor(() => commands.some((c) => c.assignmentId === assignment.id), {
      description: 'the command on the (silent) device',
      timeoutMs: 15_000,
    });

    // 4. Nobody acknowledges: the supervisor is paged on Telegram and by e-mail.
    // (The chat's first message confirmed the link; the supervisor reads English: user.changed.)
    const page = await waitFor(
      () => telegram.sentTo(chatId).find((m) => m.text.includes('Not accepted: B-1')),
      { description: 'the supervisor paged on Telegram', timeoutMs: 30_000 },
    );
    expect(page.token).toBe(BOT_TOKEN);
    expect(page.text).toContain('B-1 has not accepted the structure_fire assignment');
    const alertMail = await waitFor(
      () => mailsTo(address).find((m) => codeIn(m.raw) === undefined),
      { description: 'the supervisor paged by e-mail', timeoutMs: 30_000 },
    );
    expect(alertMail.raw).toContain('Not accepted: B-1');
    // The webhook received the dispatch, signed with the secret shown at creation.
    const call = await waitFor(() => receiver.calls.find((c) => c.body.includes(incident.id)), {
      description: 'the webhook call',
      timeoutMs: 30_000,
    });
    expect(call.signatureValid).toBe(true);
    const timestamp = String(call.headers['x-gad-timestamp']);
    expect(call.headers['x-gad-signature']).toBe(
      `sha256=${createHmac('sha256', webhook.secret).update(`${timestamp}.${call.body}`).digest('hex')}`,
    );

    // The console saw the escalation before the dispatcher acts on it.
    const ofIncident = () =>
      seen.filter(
        (entry) => (entry.event.data as { incidentId?: string }).incidentId === incident.id,
      );
    await waitFor(
      () => ofIncident().some((entry) => entry.event.type === EventTypes.AssignmentUnacknowledged),
      { description: 'the escalation on the console', timeoutMs: 15_000 },
    );

    // The dispatcher re-prioritises and closes the incident.
    const { body: current, meta } = await dispatcher.call('getIncident', {
      params: { id: incident.id },
    });
    expect(current.status).toBe('dispatched');
    await dispatcher.call(
      'updateIncident',
      { params: { id: incident.id }, body: { priority: 'P2', reason: 'fire contained' } },
      { ifMatch: meta.etag },
    );
    for (const status of ['resolved', 'closed'] as const) {
      await dispatcher.call('changeIncidentStatus', {
        params: { id: incident.id },
        body: { status, ...(status === 'closed' ? { disposition: 'resolved' } : {}) },
      });
    }

    // 5. The second console saw every change live, in order, each once.
    const closed = (entry: { event: Envelope }) =>
      entry.event.type === EventTypes.IncidentStatusChanged &&
      (entry.event.data as IncidentStatusChangedV1).status === 'closed';
    await waitFor(() => ofIncident().some(closed), {
      description: 'the close on the console',
      timeoutMs: 15_000,
    });
    const events = ofIncident();
    const types = events.map((entry) => entry.event.type);
    const at = (type: string, predicate: (data: never) => boolean = () => true) =>
      events.findIndex(
        (entry) => entry.event.type === type && predicate(entry.event.data as never),
      );
    const milestones = [
      at(EventTypes.IncidentCreated),
      at(EventTypes.AssignmentCreated, (data: { unitId: string }) => data.unitId === unit.id),
      at(
        EventTypes.IncidentStatusChanged,
        (data: IncidentStatusChangedV1) => data.status === 'dispatched',
      ),
      at(
        EventTypes.AssignmentUnacknowledged,
        (data: { unitId: string }) => data.unitId === unit.id,
      ),
      at(EventTypes.IncidentUpdated, (data: IncidentUpdatedV1) => data.changes.priority === 'P2'),
      at(
        EventTypes.IncidentStatusChanged,
        (data: IncidentStatusChangedV1) => data.status === 'resolved',
      ),
      events.findIndex(closed),
    ];
    // Each milestone arrived, in the order it happened (and the unit's own changes with them).
    expect({ milestones, types }).toEqual({
      milestones: [...milestones].sort((a, b) => a - b),
      types: expect.arrayContaining([EventTypes.UnitStatusChanged, EventTypes.AssignmentUpdated]),
    });
    expect(milestones[0]).toBe(0);
    expect(new Set(milestones).size).toBe(milestones.length);
    expect(new Set(events.map((entry) => entry.event.id)).size).toBe(events.length);
    expect(seen.filter((entry) => entry.event.agencyId !== agencyId)).toEqual([]);
    expect(feed.lastEventId).toBe(seen.at(-1)?.feedId);
  }, 180_000);
});
