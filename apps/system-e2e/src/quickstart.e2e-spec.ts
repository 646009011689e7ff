import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  createAuditSigningKeyPem,
  createTestEnvironment,
  startTestApp,
  waitFor,
  type ServiceProcess,
  type TestEnvironment,
} from '@gad/testing';

/**
 * docs/quickstart.md and the `js` examples of libs/client/README.md, run as written against the
 * five built services started as processes (after `node tools/scripts/build.mjs`): the demo agency
 * is seeded with `demo:seed`, the fleet simulator logs in with the demo admin's password (the
 * development login is off), every `bash` block of the quickstart runs in one shell, in order, and
 * its answer is checked; `@gad/client` is packed (`npm run client:pack`), installed from the
 * tarball into an empty directory, and the README's programs and the quickstart's watch script
 * run with it. The quickstart's `npm start` is what beforeAll does (on free ports: the URLs of the
 * documents are rewritten to them).
 */
const repoRoot = join(__dirname, '..', '..', '..');
// The documents' commands run as a person would run them: with this runner's PATH, npm cache, ...
// eslint-disable-next-line no-restricted-properties -- handed to child processes, not configuration
const inheritedEnv: NodeJS.ProcessEnv = process.env;

interface Block {
  lang: string;
  code: string;
}

function fencedBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const fence = /^```(\w*)\n([\s\S]*?)^```$/gm;
  for (let match = fence.exec(markdown); match; match = fence.exec(markdown)) {
    blocks.push({ lang: match[1], code: match[2] });
  }
  return blocks;
}

/** Runs a command to its end. */
function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? repoRoot,
      env: options.env ?? inheritedEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** One bash session: variables and the working directory carry over from block to block. */
class Shell {
  private readonly child: ChildProcess;
  private output = '';
  private errors = '';
  private counter = 0;

  constructor(env: NodeJS.ProcessEnv) {
    this.child = spawn('bash', ['--norc', '--noprofile'], {
      cwd: repoRoot,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.errors += chunk.toString()));
  }

  /** Runs a block; answers its stdout, stderr and the exit status of its last command. */
  async run(
    code: string,
    timeoutMs = 60_000,
  ): Promise<{ status: number; out: string; err: string }> {
    this.counter += 1;
    const marker = `__gad_block_${this.counter}__`;
    this.output = '';
    this.errors = '';
    this.child.stdin?.write(`${code}\necho "${marker} $?"\n`);
    const done = new RegExp(`${marker} (\\d+)\\n`);
    await waitFor(() => done.test(this.output), {
      timeoutMs,
      description: `block ${this.counter} to finish:\n${code}`,
    });
    const match = done.exec(this.output);
    return {
      status: Number(match?.[1]),
      out: this.output.slice(0, match?.index),
      err: this.errors,
    };
  }

  close(): void {
    this.child.stdin?.end('exit\n');
  }
}

/** A long-running node script: its lines, for waitFor. */
function startScript(file: string, cwd: string, env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [file], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => lines.push(line));
  }
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { child, lines, exited };
}

describe('docs/quickstart.md and the @gad/client README, as written', () => {
  let testEnv: TestEnvironment | undefined;
  const services: Record<string, ServiceProcess> = {};
  let simulator: ReturnType<typeof startScript> | undefined;
  let shell: Shell | undefined;
  let apiUrl = '';
  let wsUrl = '';
  const scratch = mkdtempSync(join(tmpdir(), 'gad-quickstart-'));
  const quickstart = readFileSync(join(repoRoot, 'docs', 'quickstart.md'), 'utf8');
  const readme = readFileSync(join(repoRoot, 'libs', 'client', 'README.md'), 'utf8');
  /** The documents' URLs pointed at this test's services. */
  const localise = (text: string) =>
    text.replaceAll('http://127.0.0.1:3000', apiUrl).replaceAll('http://127.0.0.1:3001', wsUrl);
  const scriptEnv = () => ({ ...inheritedEnv, API_URL: apiUrl, WS_URL: wsUrl });

  beforeAll(async () => {
    // The quickstart's `npm start`: services, demo seed, simulator; no development login.
    const env = await createTestEnvironment({
      AUDIT_SIGNING_KEY: createAuditSigningKeyPem(),
      AUTH_DEV_LOGIN: 'false',
    });
    testEnv = env;
    for (const app of ['geo-service', 'audit-log-worker', 'api-gateway']) {
      services[app] = await startTestApp(app, env);
    }
    const [ws, notifications] = await Promise.all(
      ['ws-gateway', 'notification-service'].map((app) => startTestApp(app, env)),
    );
    services['ws-gateway'] = ws;
    services['notification-service'] = notifications;
    apiUrl = services['api-gateway'].url;
    wsUrl = ws.url;

    const seed = await run(
      process.execPath,
      [
        '-r',
        './tools/scripts/register-paths.js',
        'dist/apps/api-gateway/src/identity/seed-demo.cli.js',
      ],
      { env: { ...inheritedEnv, DATABASE_URL: env.database.url, NODE_ENV: 'test' } },
    );
    expect(seed).toMatchObject({ code: 0 });
    const seeded = JSON.parse(seed.stdout.trim()) as {
      agency: { id: string; name: string };
      users: Array<{ role: string; username: string }>;
    };
    expect(seeded.agency).toEqual({ id: 'demo', name: 'Madrid demo' });
    expect(seeded.users.map((user) => user.role).sort()).toEqual([
      'admin',
      'dispatcher',
      'officer',
      'supervisor',
    ]);

    const child = spawn(
      process.execPath,
      [
        '-r',
        './tools/scripts/register-paths.js',
        'dist/tools/simulator/src/main.js',
        '--units',
        '3',
        '--dispatchers',
        '1',
        '--incident-every',
        '100000',
        '--status-every',
        '1',
      ],
      {
        cwd: repoRoot,
        env: {
          ...scriptEnv(),
          SIM_AGENCY: 'demo',
          SIM_LOGIN: 'demo.admin',
          SIM_PASSWORD: 'demo-admin-password',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const lines: string[] = [];
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => lines.push(line));
    }
    simulator = {
      child,
      lines,
      exited: new Promise((resolve) => child.on('close', resolve)),
    };
    // Its three units on duty with their devices connected, logged in with passwords.
    await waitFor(() => lines.some((line) => /\| units 3\/3 \(down 0\)/.test(line)), {
      timeoutMs: 90_000,
      description: `the simulator's 3 devices connected:\n${lines.slice(-20).join('\n')}`,
    });

    // ... and their first fixes indexed, as a reader of the quickstart finds them a few seconds
    // after npm start (the commands below run faster than the simulator's first report).
    const login = await fetch(`${apiUrl}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'demo.dispatcher', password: 'demo-dispatcher-password' }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    await waitFor(
      async () => {
        const nearest = await fetch(
          `${apiUrl}/v1/units/nearest?lon=-3.7038&lat=40.4168&limit=3&maxAgeS=60`,
          { headers: { authorization: `Bearer ${accessToken}` } },
        );
        const body = (await nearest.json()) as { items?: unknown[] };
        return (body.items?.length ?? 0) >= 3;
      },
      {
        timeoutMs: 60_000,
        intervalMs: 500,
        description: `the simulator's 3 units with a fresh position:\n${lines.slice(-5).join('\n')}`,
      },
    );

    shell = new Shell({ ...inheritedEnv, npm_config_audit: 'false', npm_config_fund: 'false' });
  }, 240_000);

  afterAll(async () => {
    shell?.close();
    simulator?.child.kill('SIGTERM');
    await simulator?.exited;
    await Promise.all(Object.values(services).map((service) => service.stop()));
    await testEnv?.cleanUp();
    rmSync(scratch, { recursive: true, force: true });
  }, 60_000);

  afterEach(() => {
    const state = expect.getState();
    if (state.assertionCalls !== state.numPassingAsserts) {
      console.log(simulator?.lines.slice(-30).join('\n'));
      for (const service of Object.values(services)) {
        console.log(service.tail(30));
      }
    }
  });

  it('keeps the development login off and the simulator on passwords', async () => {
    const response = await fetch(`${apiUrl}/v1/auth/dev-login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ agencyId: 'demo', userId: 'x', roles: ['admin'] }),
    });
    expect(response.ok).toBe(false);
    expect(simulator?.lines.join('\n')).not.toMatch(/dev-login|devLogin/);
  });

  it('runs every command of the quickstart, in order, with the answers it shows', async () => {
    const blocks = fencedBlocks(quickstart);
    expect(blocks[0]).toEqual({ lang: 'sh', code: 'npm start\n' }); // what beforeAll did
    const commands = blocks.filter((block) => block.lang === 'bash');
    const scripts = blocks.filter((block) => block.lang === 'js');
    expect(commands).toHaveLength(8);
    expect(scripts).toHaveLength(1);
    const sh = shell as Shell;
    const json = (text: string) => JSON.parse(text) as unknown;

    // 2. Log in (dispatcher), who am I, the three others.
    const login = await sh.run(localise(commands[0].code));
    expect(login.status).toBe(0);
    expect(json(login.out)).toEqual({ tokenType: 'Bearer', expiresIn: expect.any(Number) });
    const me = await sh.run(localise(commands[1].code));
    expect(json(me.out)).toEqual({
      username: 'demo.dispatcher',
      agencyId: 'demo',
      roles: ['dispatcher'],
    });
    const others = await sh.run(localise(commands[2].code));
    expect(others.out.trim().split('\n')).toEqual(['Bearer', 'Bearer', 'Bearer']);

    // 3. An incident.
    const incident = await sh.run(localise(commands[3].code));
    expect(json(incident.out)).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: 'new',
      priority: 'P1',
    });
    const incidentId = (json(incident.out) as { id: string }).id;
    expect((await sh.run('echo "$INCIDENT"')).out.trim()).toBe(incidentId);

    // 4. The nearest units: the simulator's, with fresh positions.
    const nearest = await sh.run(localise(commands[4].code));
    const units = json(nearest.out) as Array<{ unitId: string; distanceM: number }>;
    expect(units.length).toBeGreaterThanOrEqual(1);
    expect(units[0]).toEqual({
      unitId: expect.any(String),
      distanceM: expect.any(Number),
    });

    // 5. Dispatch the nearest.
    const dispatched = await sh.run(localise(commands[5].code));
    expect(json(dispatched.out)).toEqual({
      unitId: expect.any(String),
      status: expect.any(String),
    });

    // 6. Pack and install the client; the watch script follows the feed.
    const install = await sh.run(localise(commands[6].code), 240_000);
    expect({ status: install.status, err: install.status === 0 ? '' : install.err }).toEqual({
      status: 0,
      err: '',
    });
    const watchDir = (await sh.run('pwd')).out.trim();
    expect(watchDir).toBe('/tmp/gad-watch');
    writeFileSync(join(watchDir, 'watch.mjs'), scripts[0].code);
    expect(commands[7].code.trim()).toBe('node watch.mjs');
    const watch = startScript('watch.mjs', watchDir, scriptEnv());
    try {
      await waitFor(() => watch.lines.some((line) => line.startsWith('latest incidents: ')), {
        timeoutMs: 30_000,
        description: `watch.mjs lists the latest incidents:\n${watch.lines.join('\n')}`,
      });
      expect(watch.lines.find((line) => line.startsWith('latest incidents: '))).toContain(
        incidentId,
      );
      // Step 3 again: the script sees the new incident live.
      const again = await sh.run(localise(commands[3].code));
      const againId = (json(again.out) as { id: string }).id;
      await waitFor(() => watch.lines.includes(`incident.created ${againId}`), {
        timeoutMs: 30_000,
        description: `incident.created ${againId} in watch.mjs:\n${watch.lines.join('\n')}`,
      });
    } finally {
      watch.child.kill('SIGTERM');
      await watch.exited;
    }
  }, 420_000);

  it('runs the js programs of the @gad/client README with the installed package', async () => {
    const programs = fencedBlocks(readme).filter((block) => block.lang === 'js');
    expect(programs.length).toBeGreaterThanOrEqual(1);
    // The package installed by the quickstart (into an empty directory, from the tarball).
    const installed = '/tmp/gad-watch';
    const manifest = JSON.parse(
      readFileSync(join(installed, 'node_modules/@gad/client/package.json'), 'utf8'),
    ) as { dependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['socket.io-client', 'zod']);
    for (const [index, program] of programs.entries()) {
      const file = join(installed, `readme-example-${index}.mjs`);
      writeFileSync(file, program.code);
      const result = await run(process.execPath, [file], {
        cwd: installed,
        env: scriptEnv(),
        timeoutMs: 60_000,
      });
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      expect(result.stdout).toMatch(/^created incident [0-9a-f-]{36}$/m);
      expect(result.stdout).toMatch(/^dispatched unit \S+$/m);
      expect(result.stdout).toMatch(/^open incidents: \d+$/m);
      expect(result.stdout).toMatch(/^incident\.created received for [0-9a-f-]{36}$/m);
    }
  }, 120_000);

  it('type-checks a TypeScript consumer of the installed package', async () => {
    const installed = '/tmp/gad-watch';
    writeFileSync(
      join(installed, 'consumer.ts'),
      [
        "import { createGadClient, type DispatchSocket } from '@gad/client';",
        "const api = createGadClient({ baseUrl: 'http://127.0.0.1:3000' });",
        'export async function open(): Promise<string> {',
        "  const { body } = await api.ops.createIncident({ body: { type: 'x', priority: 'P1', location: { type: 'Point', coordinates: [0, 0] } } });",
        '  return body.id;',
        '}',
        'export type S = DispatchSocket;',
        '// @ts-expect-error priority is an enum',
        "void api.ops.createIncident({ body: { type: 'x', priority: 'urgent', location: { type: 'Point', coordinates: [0, 0] } } });",
        '',
      ].join('\n'),
    );
    const result = await run(
      process.execPath,
      [
        join(repoRoot, 'node_modules/typescript/bin/tsc'),
        '--noEmit',
        '--strict',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--target',
        'es2022',
        '--lib',
        'es2022,dom',
        'consumer.ts',
      ],
      { cwd: installed, timeoutMs: 120_000 },
    );
    expect({ code: result.code, out: result.stdout }).toEqual({ code: 0, out: '' });
  }, 150_000);
});
