#!/usr/bin/env node
// Local stack set-up: PostgreSQL 15+ with PostGIS 3 and Redis 7 for `npm start` and `npm test`.
// Idempotent: a run on a ready machine only checks (a few hundred ms) and changes nothing.
// Never stops, restarts or reconfigures a server that already runs. See tools/stack/README.md.
//
//   node tools/stack/setup.mjs
//
// Also installs Debian's chromium (apt) when missing, for the browser tests (optional: warns if it
// cannot; STACK_SKIP_CHROMIUM=1 skips it, CHROMIUM_PATH names another browser binary).
//
// Env: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/gad; its database is the app's),
//      TEST_DATABASE_URL (default .../gad_test; the template of createTestDatabase()),
//      REDIS_URL and TEST_REDIS_URL (default redis://127.0.0.1:6379).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const composeFile = 'docker/compose.yml';
const startedAt = Date.now();
const changes = [];

const log = (message) => console.log(`stack: ${message}`);
const change = (message) => {
  changes.push(message);
  log(message);
};

class SetupError extends Error {}

const fail = (message) => {
  throw new SetupError(message);
};

const env = process.env;
const appDbUrl = new URL(env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/gad');
const testDbUrl = new URL(env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/gad_test');
const redisUrls = [env.REDIS_URL || 'redis://127.0.0.1:6379', env.TEST_REDIS_URL || env.REDIS_URL]
  .filter(Boolean)
  .map((url) => new URL(url));

const dbName = (url, fallback) => decodeURIComponent(url.pathname.replace(/^\//, '')) || fallback;
const appDatabase = dbName(appDbUrl, 'gad');
const testDatabase = dbName(testDbUrl, 'gad_test');

// ---------------------------------------------------------------------------------------------
// Machine capabilities

const isLocalHost = (host) => ['127.0.0.1', 'localhost', '::1', '[::1]', ''].includes(host);
const endpoint = (url, defaultPort) => ({
  host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
  port: Number(url.port || defaultPort),
  local: isLocalHost(url.hostname),
});

function which(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).status === 0;
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = existsSync('/etc/debian_version') && which('apt-get');
const canInstall = isRoot && hasApt;

function cannotInstall(what) {
  const why = !hasApt ? 'this is not a Debian-like system with apt' : 'this process is not root';
  return fail(
    `${what}\n` +
      `  Cannot install it here (${why}). Either install it yourself, or run the stack in Docker:\n` +
      `    docker compose -f ${composeFile} up -d --wait\n` +
      `  (PostgreSQL+PostGIS on 127.0.0.1:5432, Redis on 127.0.0.1:6379), then run this again.`,
  );
}

function run(command, args, options = {}) {
  log(`$ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.status !== 0) {
    fail(`command failed (${result.status ?? result.signal}): ${command} ${args.join(' ')}`);
  }
}

function capture(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return result.status === 0 ? result.stdout : '';
}

let aptUpdated = false;

function aptUpdate() {
  if (!aptUpdated) {
    aptUpdated = true;
    run('apt-get', ['update']);
  }
}

const aptCandidate = (pkg) => {
  const match = /Candidate:\s*(\S+)/.exec(capture('apt-cache', ['policy', pkg]));
  return match && match[1] !== '(none)' ? match[1] : undefined;
};

function aptInstall(packages) {
  // `apt-get update` once per run, and only when the package lists do not know a package.
  if (!packages.every(aptCandidate)) {
    aptUpdate();
  }
  const missing = packages.filter((pkg) => !aptCandidate(pkg));
  if (missing.length > 0) {
    fail(`apt knows no package named ${missing.join(', ')} (after apt-get update)`);
  }
  const args = ['install', '-y', '--no-install-recommends', ...packages];
  const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
  log(`$ apt-get ${args.join(' ')}`);
  let result = spawnSync('apt-get', args, { stdio: 'inherit', env: aptEnv });
  if (result.status !== 0 && !aptUpdated) {
    aptUpdate(); // stale lists: refresh once and retry
    result = spawnSync('apt-get', args, { stdio: 'inherit', env: aptEnv });
  }
  if (result.status !== 0) {
    fail(`apt-get install ${packages.join(' ')} failed`);
  }
  change(`installed ${packages.join(', ')}`);
}

// ---------------------------------------------------------------------------------------------
// Probes

function tcpOpen({ host, port }, timeoutMs = 1_000) {
  return new Promise((done) => {
    const socket = connect({ host, port });
    const finish = (open) => {
      socket.destroy();
      done(open);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/** Resolves true when a Redis server answers at `url` (any reply, even NOAUTH, means it runs). */
function redisAnswers(url, timeoutMs = 1_000) {
  const { host, port } = endpoint(url, 6379);
  return new Promise((done) => {
    const socket = connect({ host, port });
    const finish = (answered) => {
      socket.destroy();
      done(answered);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => {
      const password = decodeURIComponent(url.password);
      const user = decodeURIComponent(url.username);
      const auth = password ? `AUTH ${user ? `${user} ` : ''}${password}\r\n` : '';
      socket.write(`${auth}PING\r\n`);
    });
    socket.once('data', (data) => finish(['+', '-'].includes(data.toString()[0])));
  });
}

async function poll(probe, what, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) {
      return;
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  fail(`${what} did not come up within ${timeoutMs / 1000} s`);
}

// ---------------------------------------------------------------------------------------------
// SQL: through the installed `pg` package, or psql when node_modules is not there yet.

const requireFromRepo = createRequire(join(repoRoot, 'package.json'));
let pgModule;
try {
  // STACK_SQL_CLIENT=psql forces the fallback (to test it).
  pgModule = env.STACK_SQL_CLIENT === 'psql' ? undefined : requireFromRepo('pg');
} catch {
  pgModule = undefined;
}

function withDatabase(url, database) {
  const copy = new URL(url);
  copy.pathname = `/${encodeURIComponent(database)}`;
  copy.searchParams.set('application_name', 'gad-stack-setup');
  return copy.toString();
}

/** Runs one statement on a fresh connection (closed before returning); rows as string arrays. */
async function sql(url, text) {
  if (pgModule) {
    const client = new pgModule.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const result = await client.query({ text, rowMode: 'array' });
      return result.rows.map((row) => row.map((value) => (value === null ? null : String(value))));
    } finally {
      await client.end();
    }
  }
  if (!which('psql')) {
    fail(
      'neither the `pg` package (run `npm ci`) nor the `psql` client is available to reach PostgreSQL',
    );
  }
  const result = spawnSync(
    'psql',
    [url, '-X', '-q', '-A', '-t', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-c', text],
    {
      encoding: 'utf8',
      env: { ...env, PGCONNECT_TIMEOUT: '5' },
    },
  );
  if (result.status !== 0) {
    throw new Error(result.stderr.trim() || `psql exited with ${result.status}`);
  }
  return result.stdout
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => line.split('\t'));
}

const quoteIdent = (name) => `"${name.replace(/"/g, '""')}"`;
const quoteLiteral = (value) => `'${value.replace(/'/g, "''")}'`;

// ---------------------------------------------------------------------------------------------
// PostgreSQL server

function clusters() {
  // "15 main 5432 online postgres /var/lib/postgresql/15/main /var/log/..."
  return capture('pg_lsclusters', ['-h'])
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [version, name, port, status] = line.split(/\s+/);
      return { version, name, port: Number(port), status };
    });
}

const installedMajors = () =>
  existsSync('/usr/lib/postgresql')
    ? capture('ls', ['/usr/lib/postgresql'])
        .split('\n')
        .filter((entry) => /^\d+$/.test(entry))
        .sort((a, b) => Number(b) - Number(a))
    : [];

async function startLocalPostgres(server) {
  const before = clusters();
  const existing = before.find((cluster) => cluster.port === server.port);
  if (existing) {
    log(
      `PostgreSQL cluster ${existing.version}/${existing.name} on port ${server.port} is ${existing.status}: starting it`,
    );
    run('pg_ctlcluster', [existing.version, existing.name, 'start']);
    change(`started PostgreSQL cluster ${existing.version}/${existing.name}`);
    return;
  }
  let majors = installedMajors();
  if (majors.length === 0 || !which('pg_createcluster')) {
    const pkg =
      aptCandidate('postgresql-15') || (aptUpdate(), aptCandidate('postgresql-15'))
        ? 'postgresql-15'
        : 'postgresql';
    aptInstall([pkg]);
    majors = installedMajors();
    if (majors.length === 0) {
      fail(`installed ${pkg} but found no server under /usr/lib/postgresql`);
    }
  }
  const major = majors.includes('15') ? '15' : majors[0];
  // The package may have created (and started) a default cluster with password auth for TCP.
  // It was made by this run and holds nothing: replace it with one that trusts loopback.
  for (const fresh of clusters().filter(
    (cluster) =>
      !before.some((old) => old.version === cluster.version && old.name === cluster.name),
  )) {
    log(
      `replacing the package's fresh cluster ${fresh.version}/${fresh.name} (password auth) with a trust-auth one`,
    );
    run('pg_dropcluster', ['--stop', fresh.version, fresh.name]);
  }
  const taken = clusters().some((cluster) => cluster.version === major && cluster.name === 'main');
  const name = taken ? 'gad' : 'main';
  run('pg_createcluster', [
    major,
    name,
    '--port',
    String(server.port),
    '--start',
    '--',
    '--auth-local=trust',
    '--auth-host=trust',
  ]);
  change(
    `created and started PostgreSQL ${major} cluster "${name}" on port ${server.port} (trust auth on loopback)`,
  );
}

async function ensurePostgresServer(url) {
  const server = endpoint(url, 5432);
  const where = `${server.host}:${server.port}`;
  if (await tcpOpen(server)) {
    log(`PostgreSQL answers at ${where}`);
  } else {
    if (!server.local) {
      fail(`PostgreSQL is unreachable at ${where} (not a local address, so nothing is installed)`);
    }
    if (!canInstall && !(isRoot && which('pg_ctlcluster'))) {
      cannotInstall(`PostgreSQL is not running at ${where}.`);
    }
    await startLocalPostgres(server);
    await poll(() => tcpOpen(server), `PostgreSQL at ${where}`, 30_000);
  }
  const admin = withDatabase(url, 'postgres');
  let version;
  try {
    const rows = await sql(admin, 'SHOW server_version_num');
    version = Number(rows[0][0]);
  } catch (error) {
    fail(
      `cannot connect to PostgreSQL at ${where} as "${decodeURIComponent(url.username) || 'postgres'}": ${error.message}\n` +
        '  The stack expects trust auth on loopback for user postgres, or credentials in DATABASE_URL.',
    );
  }
  const major = Math.floor(version / 10_000);
  log(`PostgreSQL ${major} (server_version_num ${version})`);
  if (major < 15) {
    fail(`PostgreSQL ${major} at ${where} is too old: 15 or newer is needed`);
  }
  return { admin, major, where, local: server.local };
}

async function postgisVersion(admin) {
  const rows = await sql(
    admin,
    "SELECT default_version FROM pg_available_extensions WHERE name = 'postgis'",
  );
  return rows[0]?.[0] ?? undefined;
}

async function ensurePostgis(server) {
  const available = await postgisVersion(server.admin);
  if (available) {
    log(`PostGIS ${available} is available`);
    return;
  }
  const pkg = `postgresql-${server.major}-postgis-3`;
  if (!server.local) {
    fail(
      `the postgis extension is not available in the server at ${server.where}; install ${pkg} there`,
    );
  }
  if (!canInstall) {
    cannotInstall(
      `The postgis extension is not available in PostgreSQL ${server.major} at ${server.where} (package ${pkg}).`,
    );
  }
  log(`the postgis extension is not available: installing ${pkg}`);
  aptInstall([pkg, `${pkg}-scripts`]);
  const installed = await postgisVersion(server.admin);
  if (!installed) {
    fail(
      `installed ${pkg} but the server at ${server.where} still lists no postgis extension ` +
        '(is that server a different installation, e.g. a container?)',
    );
  }
  log(`PostGIS ${installed} is available`);
}

async function ensureDatabase(server, url, name) {
  const exists = await sql(
    server.admin,
    `SELECT 1 FROM pg_database WHERE datname = ${quoteLiteral(name)}`,
  );
  if (exists.length === 0) {
    await sql(server.admin, `CREATE DATABASE ${quoteIdent(name)}`);
    change(`created database ${name}`);
  }
  const dbUrl = withDatabase(url, name);
  const ext = await sql(dbUrl, "SELECT extversion FROM pg_extension WHERE extname = 'postgis'");
  if (ext.length === 0) {
    await sql(dbUrl, 'CREATE EXTENSION IF NOT EXISTS postgis');
    change(`created extension postgis in ${name}`);
  } else {
    log(`database ${name} has postgis ${ext[0][0]}`);
  }
}

/** createTestDatabase() clones the test database: CREATE DATABASE ... TEMPLATE fails while anyone is connected. */
async function checkTemplateIdle(server, name) {
  const sessions = await sql(
    server.admin,
    `SELECT pid, coalesce(application_name, ''), coalesce(client_addr::text, 'local'), state
       FROM pg_stat_activity WHERE datname = ${quoteLiteral(name)} AND pid <> pg_backend_pid()`,
  );
  if (sessions.length > 0) {
    log(
      `WARNING: ${sessions.length} session(s) are connected to ${name}; createTestDatabase() cannot clone it ` +
        `until they close. Nothing should connect to ${name} itself (use createTestDatabase()):\n` +
        sessions
          .map(([pid, app, addr, state]) => `    pid ${pid} app "${app}" from ${addr} (${state})`)
          .join('\n'),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Redis

async function ensureRedis(url) {
  const server = endpoint(url, 6379);
  const where = `${server.host}:${server.port}`;
  if (await redisAnswers(url)) {
    log(`Redis answers at ${where}`);
    return;
  }
  if (!server.local) {
    fail(`Redis is unreachable at ${where} (not a local address, so nothing is started)`);
  }
  if (!which('redis-server')) {
    if (!canInstall) {
      cannotInstall(`Redis is not running at ${where} and redis-server is not installed.`);
    }
    aptInstall(['redis-server']);
    // The package may have started its own service on the default port.
    if (await redisAnswers(url)) {
      log(`Redis answers at ${where}`);
      return;
    }
  }
  const dir = join(repoRoot, '.stack', `redis-${server.port}`);
  mkdirSync(dir, { recursive: true });
  run('redis-server', [
    '--port',
    String(server.port),
    '--bind',
    server.host === 'localhost' ? '127.0.0.1' : server.host,
    '--daemonize',
    'yes',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--logfile',
    join(dir, 'redis.log'),
    '--pidfile',
    join(dir, 'redis.pid'),
  ]);
  await poll(() => redisAnswers(url), `Redis at ${where}`, 10_000);
  change(`started redis-server on ${where} (daemonized, no persistence; log and pid in ${dir})`);
}

// ---------------------------------------------------------------------------------------------
// Chromium for the browser tests (apps/system-e2e console specs, driven by playwright-core with
// Debian's chromium: no browser download). Optional: the services do not need it, so a machine that
// cannot install it only warns, and the browser tests say what is missing.

const chromiumPaths = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

function ensureChromium() {
  if (env.STACK_SKIP_CHROMIUM === '1') {
    log('chromium: skipped (STACK_SKIP_CHROMIUM=1)');
    return;
  }
  const configured = env.CHROMIUM_PATH;
  if ((configured && existsSync(configured)) || chromiumPaths.some((path) => existsSync(path))) {
    return;
  }
  if (!canInstall) {
    log('chromium: not installed and cannot be installed here; the browser tests will fail');
    return;
  }
  try {
    aptInstall(['chromium']);
  } catch (error) {
    log(`chromium: not installed (${error.message}); the browser tests will fail`);
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  log(
    `PostgreSQL ${appDbUrl.host} (databases ${appDatabase}, ${testDatabase}); Redis ${[...new Set(redisUrls.map((url) => url.host))].join(', ')}`,
  );
  const servers = new Map();
  for (const url of [appDbUrl, testDbUrl]) {
    const { host, port } = endpoint(url, 5432);
    const key = `${host}:${port}`;
    if (!servers.has(key)) {
      servers.set(key, await ensurePostgresServer(url));
      await ensurePostgis(servers.get(key));
    }
  }
  const serverOf = (url) => {
    const { host, port } = endpoint(url, 5432);
    return servers.get(`${host}:${port}`);
  };
  await ensureDatabase(serverOf(appDbUrl), appDbUrl, appDatabase);
  await ensureDatabase(serverOf(testDbUrl), testDbUrl, testDatabase);
  await checkTemplateIdle(serverOf(testDbUrl), testDatabase);

  const seen = new Set();
  for (const url of redisUrls) {
    if (!seen.has(url.host)) {
      seen.add(url.host);
      await ensureRedis(url);
    }
  }
  ensureChromium();
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  log(
    changes.length === 0
      ? `ready in ${seconds}s (nothing to do)`
      : `ready in ${seconds}s (${changes.length} change${changes.length === 1 ? '' : 's'})`,
  );
}

main().catch((error) => {
  console.error(`stack: FAILED: ${error instanceof SetupError ? error.message : error.stack}`);
  process.exit(1);
});
