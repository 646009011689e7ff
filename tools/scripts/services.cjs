// The one description of how the five services run locally: names, default ports, health paths,
// the command that starts a built app and the environment it gets. Used by `npm start`
// (tools/scripts/start.mjs, through services.mjs) and by the e2e helper
// `startServiceProcess()` in libs/testing (which loads this file at run time), so both agree.
// CommonJS on purpose: Jest (CommonJS, no VM modules) can load it, ESM scripts can import it.
'use strict';
const path = require('node:path');

const repoRoot = path.resolve(__dirname, '..', '..');

/**
 * The services in start order with their default ports (each reads `PORT`) and the Node options
 * they run with everywhere: here (npm start, tests, benchmarks) and in `NODE_OPTIONS` of
 * docker/compose.yml and k8s/base/<app>/configmap.yaml (docker/test checks they agree).
 *
 * geo-service: `--max-semi-space-size=32` (MiB) gives the young generation room for what a batch
 * of fixes allocates (parsed entries, array literals, unit.moved envelopes), so less of it
 * survives into the old generation: ingestion with 1,000 geofences measured 10,337 and 10,453
 * positions/s against 9,712 and 9,151 with the default, at 57 instead of 64-69 µs of CPU per fix
 * (docs/benchmarks.md, Geo, 2026-12-02). It costs up to about 100 MiB of memory.
 *
 * ws-gateway: `--max-semi-space-size=8` (MiB) caps the young generation, which a connection storm
 * grows to its default maximum (about 64 MiB per process on Node 24) and V8 then keeps while the
 * sockets sit idle: one gateway with 5,000 idle `/field` sockets read 34.7 KB of RSS per socket
 * with the default and 23.2-26.9 KB with 8, 15 s after the last handshake, in runs on a quiet
 * machine (loaded: 35.8 against 21.3 KB; 4 MiB 20.7-21.9, 16 MiB 28.4), with no measurable cost
 * in CPU per unicast (tools/bench/analysis/ws.md, 2026-12-07).
 */
const services = Object.freeze(
  [
    { name: 'api-gateway', port: 3000, nodeOptions: [] },
    { name: 'ws-gateway', port: 3001, nodeOptions: ['--max-semi-space-size=8'] },
    { name: 'geo-service', port: 3002, nodeOptions: ['--max-semi-space-size=32'] },
    { name: 'audit-log-worker', port: 3003, nodeOptions: [] },
    { name: 'notification-service', port: 3004, nodeOptions: [] },
  ].map((service) =>
    Object.freeze({ ...service, nodeOptions: Object.freeze(service.nodeOptions) }),
  ),
);

/** Every service exposes these. */
const healthPaths = Object.freeze({
  live: '/health/live',
  ready: '/health/ready',
  metrics: '/metrics',
});

const defaults = Object.freeze({
  host: '127.0.0.1',
  databaseUrl: 'postgres://postgres@127.0.0.1:5432/gad',
  redisUrl: 'redis://127.0.0.1:6379',
  logLevel: 'info',
  nodeEnv: 'development',
});

function findService(name) {
  const service = services.find((candidate) => candidate.name === name);
  if (!service) {
    throw new Error(
      `unknown service "${name}"; known: ${services.map((known) => known.name).join(', ')}`,
    );
  }
  return service;
}

/** Absolute path of a built app's entry point, e.g. <repo>/dist/apps/geo-service/src/main.js. */
function serviceEntry(app, rootDir = repoRoot) {
  return path.join(rootDir, 'dist', 'apps', app, 'src', 'main.js');
}

/**
 * THE command that runs a built app (cwd = repository root):
 *
 *   node <the service's nodeOptions> -r ./tools/scripts/register-paths.js dist/apps/<app>/src/main.js
 *
 * register-paths.js maps `@gad/*` to dist/libs/<lib>/src/index.js. Local runners also preload
 * exit-with-parent.js (`exitWithParent`, default true) so an app never outlives its runner.
 * `rootDir` points at another tree holding dist/apps/<app> (the helper's own tests use it).
 */
function serviceCommand(app, { rootDir = repoRoot, exitWithParent = true } = {}) {
  const service = findService(app);
  const entry = serviceEntry(app, rootDir);
  // GAD_SERVICE_NODE_ARGS: extra Node flags for every started service (e.g. `--cpu-prof
  // --cpu-prof-dir=/tmp/prof` to profile a benchmark's services; NODE_OPTIONS refuses --cpu-prof).
  const extra = (process.env.GAD_SERVICE_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const args = [...service.nodeOptions, ...extra, '-r', './tools/scripts/register-paths.js'];
  if (exitWithParent) {
    args.push('-r', './tools/scripts/exit-with-parent.js');
  }
  args.push(rootDir === repoRoot ? path.relative(repoRoot, entry) : entry);
  return { command: process.execPath, args, cwd: repoRoot, entry };
}

/** URLs of a service listening on `port`. */
function serviceUrls(port, host = defaults.host) {
  const base = `http://${host}:${port}`;
  return {
    base,
    live: base + healthPaths.live,
    ready: base + healthPaths.ready,
    metrics: base + healthPaths.metrics,
  };
}

// ═══════════════════════════════════════════════════════════════════════════════════════════
// PER-SERVICE ENVIRONMENT: add here what one service needs beyond the common variables
// (JWT keys, dev login, instance ids, outside-channel fakes, ...). `ctx` holds
// { app, port, nodeEnv, databaseUrl, redisUrl, redisKeyPrefix, logLevel, repoRoot }.
// No secrets in the repository: generate them (e.g. under .stack/, which git ignores) or take
// them from the caller's environment. Whatever is returned here can still be overridden by the
// caller's `overrides` (npm start: none; e2e tests: the `env` they pass).
// ═══════════════════════════════════════════════════════════════════════════════════════════
function perServiceEnv(app, ctx) {
  switch (app) {
    case 'api-gateway':
      return {
        JWT_PRIVATE_KEY: process.env.JWT_PRIVATE_KEY ?? devJwtKeys(ctx.repoRoot).privateKey,
        AUTH_DEV_LOGIN:
          process.env.AUTH_DEV_LOGIN ?? (ctx.nodeEnv === 'production' ? 'false' : 'true'),
      };
    case 'ws-gateway':
      return { JWT_PUBLIC_KEY: process.env.JWT_PUBLIC_KEY ?? devJwtKeys(ctx.repoRoot).publicKey };
    case 'audit-log-worker':
      return {
        AUDIT_SIGNING_KEY: process.env.AUDIT_SIGNING_KEY ?? devAuditKey(ctx.repoRoot),
      };
    case 'notification-service':
      // Seals agency webhook secrets; without it creating a webhook is refused.
      return {
        NOTIFY_SECRETS_KEY: process.env.NOTIFY_SECRETS_KEY ?? devSecretsKey(ctx.repoRoot),
      };
    default:
      return {};
  }
}

/**
 * Development-only keys, generated once under .stack/ (git-ignored) so a fresh clone needs no
 * secret: an ES256 pair for access tokens, an Ed25519 key for audit checkpoints and the AES-256
 * key sealing webhook secrets. Production takes them from the environment (a Secret), where these
 * are never used.
 */
function devKeyFile(repoRootDir, name, generate) {
  const fs = require('node:fs');
  const file = path.join(repoRootDir, '.stack', name);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, generate(), { mode: 0o600 });
  }
  return fs.readFileSync(file, 'utf8');
}

function devJwtKeys(repoRootDir) {
  const crypto = require('node:crypto');
  const privateKey = devKeyFile(repoRootDir, 'dev-jwt-es256.pem', () =>
    crypto
      .generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' }),
  );
  const publicKey = crypto
    .createPublicKey(privateKey)
    .export({ type: 'spki', format: 'pem' })
    .toString();
  return { privateKey, publicKey };
}

function devAuditKey(repoRootDir) {
  const crypto = require('node:crypto');
  return devKeyFile(repoRootDir, 'dev-audit-ed25519.pem', () =>
    crypto.generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }),
  );
}
function devSecretsKey(repoRootDir) {
  const crypto = require('node:crypto');
  return devKeyFile(repoRootDir, 'dev-notify-secrets.key', () =>
    crypto.randomBytes(32).toString('base64'),
  ).trim();
}
// ═══════════════════════════════════════════════════════════════════════════════════════════

/**
 * The complete environment of one service process: the inherited environment (PATH, ...), the
 * variables every service reads, the per-service ones above, then `overrides`. Keys whose value
 * is `undefined` are dropped.
 *
 * options: { port, databaseUrl, redisUrl, redisKeyPrefix, logLevel, nodeEnv, inherit, overrides }
 */
function serviceEnv(app, options = {}) {
  const service = findService(app);
  const inherit = options.inherit ?? process.env;
  const ctx = {
    app,
    port: options.port ?? service.port,
    nodeEnv: options.nodeEnv ?? defaults.nodeEnv,
    databaseUrl: options.databaseUrl ?? defaults.databaseUrl,
    redisUrl: options.redisUrl ?? defaults.redisUrl,
    redisKeyPrefix: options.redisKeyPrefix ?? '',
    logLevel: options.logLevel ?? defaults.logLevel,
    repoRoot,
  };
  const env = {
    ...inherit,
    NODE_ENV: ctx.nodeEnv,
    LOG_LEVEL: ctx.logLevel,
    HOST: defaults.host,
    PORT: String(ctx.port),
    DATABASE_URL: ctx.databaseUrl,
    REDIS_URL: ctx.redisUrl,
    REDIS_KEY_PREFIX: ctx.redisKeyPrefix,
    OTEL_TRACES_EXPORTER: inherit.OTEL_TRACES_EXPORTER ?? 'none',
    // Plain output: runners prefix and reformat the lines.
    NO_COLOR: '1',
    FORCE_COLOR: '0',
    ...perServiceEnv(app, ctx),
    ...(options.overrides ?? {}),
  };
  for (const key of Object.keys(env)) {
    if (env[key] === undefined) {
      delete env[key];
    }
  }
  return env;
}

module.exports = {
  repoRoot,
  services,
  healthPaths,
  defaults,
  findService,
  serviceEntry,
  serviceCommand,
  serviceUrls,
  serviceEnv,
};
