/*
 * WebSocket benchmark: two built ws-gateway instances vs two bare socket.io servers with the same
 * sharded Redis adapter, 10k sockets from several client processes (this file, forked with
 * `--role client`; the bare servers are ws-bare-server.ts):
 *   1. RSS per idle socket (authenticated `/field` sockets vs bare sockets in the same two rooms);
 *   2. unicast to units at a fixed rate across the two instances (gateway: `command.issued` on the
 *      stream → command log → room emit; bare: `io.to(unit room).emit` on one instance; a second
 *      bare baseline does the gateway's Redis work per command: stream, consumer group, the
 *      command log's Lua script, room emit, XACK);
 *   3. one broadcast to every socket (gateway: `incident.created` on the stream → agency room of
 *      10k `/dispatch` consoles; bare: `io.to(agency room).emit`), fully delivered.
 * The bare servers run their own entry (ws-bare-server.ts), which loads none of this file's imports.
 */
import {
  createTestKeyPair,
  deleteKeysWithPrefix,
  freePort,
  startServiceProcess,
  type ServiceProcess,
} from '@gad/testing';
import {
  COMMAND_LOG_APPEND_SCRIPT,
  commandAppendCall,
  commandChannelOf,
  type CommandIssuedV1,
  type Envelope,
} from '@gad/contracts';
import { Redis, type ChainableCommander } from 'ioredis';
import { SignJWT } from 'jose';
import { execSync, fork, type ChildProcess } from 'node:child_process';
import { randomUUID, createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { analysis, parseBenchFlags } from './report';

// CLOCK_MONOTONIC (libuv's hrtime), one clock for every process on the machine: a sender and a
// receiver in different processes compare exactly. `performance.timeOrigin` is taken per process
// and differed by a few ms between them (negative latencies on Node 24).
const now = (): number => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fmt = (value: number, digits = 2): string =>
  Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
const log = (message: string): void =>
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);

interface Flags {
  sockets: number;
  clients: number;
  rate: number;
  duration: number;
  broadcasts: number;
  /** Seconds after the last handshake of a second RSS reading (the first is at 3 s). */
  settle: number;
  redisUrl: string;
  write: boolean;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** User + system CPU milliseconds a process used so far (clock ticks of 10 ms). */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

// ---------------------------------------------------------------- IPC between processes

export type ToChild =
  | {
      type: 'connect';
      mode: 'bare' | 'field' | 'dispatch';
      url: string;
      from: number;
      count: number;
      agencyId: string;
      privateKeyPem?: string;
    }
  | { type: 'collect' }
  | { type: 'disconnect' }
  | { type: 'rss' }
  | { type: 'unicast'; rate: number; durationMs: number; units: number }
  | { type: 'broadcast'; agencyId: string }
  | { type: 'stop' };

export type FromChild =
  | { type: 'ready' }
  | { type: 'connected'; ok: number; failed: number }
  | { type: 'latencies'; unicast: number[]; broadcast: number[] }
  | { type: 'disconnected' }
  | { type: 'rss'; rss: number }
  | { type: 'done' };

function request(
  child: ChildProcess,
  message: ToChild,
  expect: FromChild['type'],
): Promise<FromChild> {
  return new Promise((resolve) => {
    const onMessage = (reply: FromChild) => {
      if (reply.type === expect) {
        child.off('message', onMessage);
        resolve(reply);
      }
    };
    child.on('message', onMessage);
    child.send(message);
  });
}

/** `client`: this file with `--role client`; `bare-server`: its own entry (ws-bare-server.ts). */
function forkRole(
  root: string,
  role: 'client' | 'bare-server',
  env: Record<string, string> = {},
): Promise<ChildProcess> {
  const args = role === 'client' ? ['ws', '--role', 'client'] : ['ws-bare-server'];
  const child = fork(join(root, 'tools', 'bench', 'run.mjs'), args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve) => {
    child.once('message', () => resolve(child));
  });
}

// ---------------------------------------------------------------- client process

async function clientRole(): Promise<void> {
  let sockets: Socket[] = [];
  let unicast: number[] = [];
  let broadcast: number[] = [];
  const send = (message: FromChild) => process.send?.(message);
  process.on('message', (message: ToChild) => {
    void (async () => {
      if (message.type === 'connect') {
        const key = message.privateKeyPem ? createPrivateKey(message.privateKeyPem) : undefined;
        let ok = 0;
        let failed = 0;
        const one = async (i: number) => {
          const unit = `unit-${i}`;
          let auth: Record<string, unknown> = { unit };
          let path = '/';
          if (message.mode !== 'bare' && key) {
            const roles = message.mode === 'field' ? ['officer'] : ['dispatcher'];
            const token = await new SignJWT({ agencyId: message.agencyId, roles, unitId: unit })
              .setProtectedHeader({ alg: 'ES256' })
              .setSubject(`user-${i}`)
              .setIssuer('gad-dispatch')
              .setAudience('gad-dispatch')
              .setIssuedAt()
              .setExpirationTime('1h')
              .sign(key);
            auth = { token };
            path = message.mode === 'field' ? '/field' : '/dispatch';
          }
          const socket = io(new URL(path, message.url).toString(), {
            transports: ['websocket'],
            auth,
            reconnection: false,
          });
          socket.on('command', (command: { payload?: { sentAt?: number } }) => {
            unicast.push(now() - (command.payload?.sentAt ?? Number.NaN));
          });
          socket.on('cmd', (command: { sentAt: number }) => unicast.push(now() - command.sentAt));
          socket.on('incident.created', (event: { occurredAt: string }) => {
            broadcast.push(Date.now() - Date.parse(event.occurredAt));
          });
          socket.on('bcast', (event: { sentAt: number }) => broadcast.push(now() - event.sentAt));
          await new Promise<void>((resolve) => {
            socket.once('connect', () => {
              ok += 1;
              resolve();
            });
            socket.once('connect_error', () => {
              failed += 1;
              resolve();
            });
          });
          sockets.push(socket);
        };
        // At most 100 handshakes in flight per client process.
        const ids = Array.from({ length: message.count }, (_, i) => message.from + i);
        await Promise.all(
          Array.from({ length: 100 }, async () => {
            for (let id = ids.shift(); id !== undefined; id = ids.shift()) {
              await one(id);
            }
          }),
        );
        send({ type: 'connected', ok, failed });
      } else if (message.type === 'collect') {
        send({ type: 'latencies', unicast, broadcast });
        unicast = [];
        broadcast = [];
      } else if (message.type === 'disconnect') {
        sockets.forEach((socket) => socket.disconnect());
        sockets = [];
        send({ type: 'disconnected' });
      } else if (message.type === 'stop') {
        process.exit(0);
      }
    })();
  });
  send({ type: 'ready' });
  await new Promise(() => undefined);
}

/**
 * Issues `rate` commands a second for `durationMs` to random units of `units`, what is due every
 * 5 ms in one pipeline, the way notification-service's relay does (docs/adr/0020): one call of the
 * command log script per command appends it to the unit's log and publishes it on the command
 * channel. `payload.sentAt` is the send time the devices measure from.
 */
async function relayCommands(
  redis: Redis,
  prefix: string,
  agencyId: string,
  rate: number,
  durationMs: number,
  units: number,
): Promise<void> {
  if (!('benchRelay' in redis)) {
    redis.defineCommand('benchRelay', { numberOfKeys: 3, lua: COMMAND_LOG_APPEND_SCRIPT });
  }
  const add = (pipeline: ChainableCommander) => {
    const envelope: Envelope<CommandIssuedV1> = {
      id: uuidv7(),
      type: 'command.issued',
      version: 1,
      occurredAt: new Date().toISOString(),
      agencyId,
      actor: { kind: 'service', id: 'bench' },
      data: {
        commandId: randomUUID(),
        recipient: { kind: 'unit', id: `unit-${Math.floor(Math.random() * units)}` },
        kind: 'dispatch',
        critical: true,
        title: 'bench',
        body: 'bench command',
        locale: 'en',
        payload: { sentAt: now() },
        issuedAt: new Date().toISOString(),
      },
    };
    const { keys, args } = commandAppendCall(prefix, envelope, Date.now(), {
      maxLen: 1_000,
      maxAgeMs: 86_400_000,
    });
    (pipeline as unknown as Record<string, (...a: unknown[]) => void>)['benchRelay'](
      ...keys,
      ...args,
    );
  };
  const start = now();
  let sent = 0;
  while (now() - start < durationMs) {
    const due = Math.floor(((now() - start) / 1000) * rate);
    const pipeline = redis.pipeline();
    for (; sent < due; sent += 1) {
      add(pipeline);
    }
    await pipeline.exec();
    await sleep(5);
  }
}

// ---------------------------------------------------------------- orchestration

interface Servers {
  label: string;
  pids: number[];
  urls: string[];
  unicast(rate: number, durationMs: number, units: number): Promise<void>;
  broadcast(): Promise<void>;
  stop(): Promise<void>;
}

interface Row {
  label: string;
  sockets: number;
  rssPerSocketKb: number;
  /** The same `settle` s after the last handshake (lease renewals and sweeps have run). */
  rssPerSocketLateKb: number;
  unicast: {
    cpuPerMessageMs: number;
    sent: number;
    received: number;
    p50: number;
    p95: number;
    p99: number;
    max: number;
  };
  broadcast: { expected: number; received: number; p50: number; p99: number; max: number };
  connectSeconds: number;
}

async function connectAll(
  clients: ChildProcess[],
  servers: Servers,
  flags: Flags,
  mode: 'bare' | 'field' | 'dispatch',
  agencyId: string,
  privateKeyPem?: string,
): Promise<{ ok: number; failed: number; seconds: number }> {
  const per = Math.ceil(flags.sockets / clients.length);
  const started = now();
  const replies = await Promise.all(
    clients.map((client, k) =>
      request(
        client,
        {
          type: 'connect',
          mode,
          url: servers.urls[k % servers.urls.length],
          from: k * per,
          count: Math.min(per, flags.sockets - k * per),
          agencyId,
          privateKeyPem,
        },
        'connected',
      ),
    ),
  );
  const ok = replies.reduce((sum, r) => sum + (r.type === 'connected' ? r.ok : 0), 0);
  const failed = replies.reduce((sum, r) => sum + (r.type === 'connected' ? r.failed : 0), 0);
  return { ok, failed, seconds: (now() - started) / 1000 };
}

async function collect(
  clients: ChildProcess[],
): Promise<{ unicast: number[]; broadcast: number[] }> {
  const replies = await Promise.all(
    clients.map((c) => request(c, { type: 'collect' }, 'latencies')),
  );
  const unicast: number[] = [];
  const broadcast: number[] = [];
  for (const reply of replies) {
    if (reply.type === 'latencies') {
      unicast.push(...reply.unicast);
      broadcast.push(...reply.broadcast);
    }
  }
  return {
    unicast: unicast.filter(Number.isFinite).sort((x, y) => x - y),
    broadcast: broadcast.filter(Number.isFinite).sort((x, y) => x - y),
  };
}

async function runScenario(
  servers: Servers,
  clients: ChildProcess[],
  flags: Flags,
  kind: 'bare' | 'gateway',
  agencyId: string,
  privateKeyPem?: string,
): Promise<Row> {
  await sleep(1_000);
  const before = servers.pids.reduce((sum, pid) => sum + rssOf(pid), 0);
  const connected = await connectAll(
    clients,
    servers,
    flags,
    kind === 'bare' ? 'bare' : 'field',
    agencyId,
    privateKeyPem,
  );
  log(
    `${servers.label}: ${connected.ok} sockets in ${fmt(connected.seconds, 1)} s (${connected.failed} failed)`,
  );
  const rssNow = () => servers.pids.reduce((sum, pid) => sum + rssOf(pid), 0);
  await sleep(3_000);
  const early = rssNow();
  await sleep(Math.max(flags.settle - 3, 0) * 1000);
  const after = rssNow();
  const perSocketKb = (rss: number) => (rss - before) / 1024 / Math.max(connected.ok, 1);
  const rssPerSocketKb = perSocketKb(early);
  const rssPerSocketLateKb = perSocketKb(after);
  log(
    `${servers.label}: RSS ${fmt(before / 2 ** 20, 1)} → ${fmt(early / 2 ** 20, 1)} MiB after 3 s, ${fmt(after / 2 ** 20, 1)} MiB after ${flags.settle} s`,
  );

  const sent = flags.rate * flags.duration;
  const cpuBefore = servers.pids.reduce((sum, pid) => sum + cpuMsOf(pid), 0);
  await servers.unicast(flags.rate, flags.duration * 1000, flags.sockets);
  // Wait for stragglers: until everything arrived or nothing more came for 2 s (at most 20 s).
  const uni: number[] = [];
  for (let idle = 0, waited = 0; uni.length < sent && idle < 2 && waited < 20; waited += 1) {
    await sleep(1_000);
    const more = (await collect(clients)).unicast;
    idle = more.length === 0 ? idle + 1 : 0;
    uni.push(...more);
  }
  uni.sort((x, y) => x - y);
  const cpuPerMessageMs =
    (servers.pids.reduce((sum, pid) => sum + cpuMsOf(pid), 0) - cpuBefore) /
    Math.max(uni.length, 1);
  log(
    `${servers.label}: unicast ${uni.length}/${sent} received, p99 ${fmt(percentile(uni, 99))} ms`,
  );

  let targets = connected.ok;
  if (kind === 'gateway') {
    // Broadcast goes to consoles: swap the field sockets for as many /dispatch sockets.
    await Promise.all(clients.map((c) => request(c, { type: 'disconnect' }, 'disconnected')));
    await sleep(1_000);
    const consoles = await connectAll(clients, servers, flags, 'dispatch', agencyId, privateKeyPem);
    log(`${servers.label}: ${consoles.ok} consoles in ${fmt(consoles.seconds, 1)} s`);
    targets = consoles.ok;
    await sleep(1_000);
  }
  for (let i = 0; i < flags.broadcasts; i += 1) {
    await servers.broadcast();
    await sleep(1_000);
  }
  await sleep(1_000);
  const bc = (await collect(clients)).broadcast;
  log(
    `${servers.label}: broadcast ${bc.length}/${flags.broadcasts * targets}, p99 ${fmt(percentile(bc, 99))} ms`,
  );
  await Promise.all(clients.map((c) => request(c, { type: 'disconnect' }, 'disconnected')));
  return {
    label: servers.label,
    sockets: connected.ok,
    rssPerSocketKb,
    rssPerSocketLateKb,
    connectSeconds: connected.seconds,
    unicast: {
      cpuPerMessageMs,
      sent,
      received: uni.length,
      p50: percentile(uni, 50),
      p95: percentile(uni, 95),
      p99: percentile(uni, 99),
      max: uni.at(-1) ?? Number.NaN,
    },
    broadcast: {
      expected: flags.broadcasts * targets,
      received: bc.length,
      p50: percentile(bc, 50),
      p99: percentile(bc, 99),
      max: bc.at(-1) ?? Number.NaN,
    },
  };
}

/**
 * Two bare socket.io servers. `durable`: commands go through the gateway's Redis work instead of a
 * direct emit (see `durableConsumer`), published from this process as for the gateway.
 */
async function startBare(
  root: string,
  flags: Flags,
  prefix: string,
  durable = false,
): Promise<Servers> {
  const ports = [await freePort(), await freePort()];
  const servers = await Promise.all(
    ports.map((port) =>
      forkRole(root, 'bare-server', {
        BENCH_PORT: String(port),
        BENCH_PREFIX: prefix,
        BENCH_REDIS_URL: flags.redisUrl,
        BENCH_DURABLE: durable ? '1' : '0',
        BENCH_CHANNEL: commandChannelOf(prefix),
      }),
    ),
  );
  const redis = durable ? new Redis(flags.redisUrl) : undefined;
  return {
    label: durable
      ? "bare socket.io + the producer's single Redis call per command (log append + publish)"
      : 'bare socket.io + sharded redis adapter',
    pids: servers.map((s) => s.pid ?? 0),
    urls: ports.map((port) => `http://127.0.0.1:${port}`),
    unicast: async (rate, durationMs, units) => {
      if (!redis) {
        await request(servers[0], { type: 'unicast', rate, durationMs, units }, 'done');
        return;
      }
      await relayCommands(redis, prefix, 'bench', rate, durationMs, units);
    },
    broadcast: async () => {
      await request(servers[0], { type: 'broadcast', agencyId: 'bench' }, 'done');
    },
    stop: async () => {
      redis?.disconnect();
      servers.forEach((s) => s.send({ type: 'stop' } satisfies ToChild));
      await Promise.all(servers.map((s) => new Promise((resolve) => s.once('exit', resolve))));
    },
  };
}

async function startGateways(
  flags: Flags,
  prefix: string,
  publicKeyPem: string,
  agencyId: string,
): Promise<Servers> {
  const env = {
    REDIS_KEY_PREFIX: prefix,
    REDIS_URL: flags.redisUrl,
    JWT_PUBLIC_KEY: publicKeyPem,
    LOG_LEVEL: 'warn',
    // e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the gateways.
    ...(process.env['BENCH_GATEWAY_NODE_OPTIONS']
      ? { NODE_OPTIONS: process.env['BENCH_GATEWAY_NODE_OPTIONS'] }
      : {}),
  };
  const gateways: ServiceProcess[] = await Promise.all(
    ['a', 'b'].map((id) =>
      startServiceProcess({ app: 'ws-gateway', env: { ...env, INSTANCE_ID: `bench-${id}` } }),
    ),
  );
  const redis = new Redis(flags.redisUrl);
  const xadd = (stream: string, envelope: unknown) =>
    redis.xadd(
      `${prefix}${stream}`,
      'MAXLEN',
      '~',
      '100000',
      '*',
      'envelope',
      JSON.stringify(envelope),
    );
  const envelope = (type: string, data: unknown) => ({
    id: uuidv7(),
    type,
    version: 1,
    occurredAt: new Date().toISOString(),
    agencyId,
    actor: { kind: 'service', id: 'bench' },
    data,
  });
  return {
    label: 'ws-gateway ×2 (auth, limits, command log)',
    pids: gateways.map((g) => g.pid),
    urls: gateways.map((g) => g.url),
    unicast: async (rate, durationMs, units) => {
      await relayCommands(redis, prefix, agencyId, rate, durationMs, units);
    },
    broadcast: async () => {
      await xadd(
        'gad:dispatch:events',
        envelope('incident.created', {
          incidentId: randomUUID(),
          type: 'fire',
          priority: 'P1',
          status: 'new',
          location: { type: 'Point', coordinates: [-3.7, 40.4] },
          createdAt: new Date().toISOString(),
        }),
      );
    },
    stop: async () => {
      await Promise.all(gateways.map((g) => g.stop()));
      redis.disconnect();
    },
  };
}

/** UUIDv7 (the envelope id format), without importing the contracts' helper path. */
function uuidv7(): string {
  const bytes = Buffer.from(randomUUID().replace(/-/g, ''), 'hex');
  const ms = BigInt(Date.now());
  for (let i = 0; i < 6; i += 1) bytes[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function writeSection(root: string, section: string): void {
  const file = join(root, 'docs', 'benchmarks.md');
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const start = current.search(/^## WebSocket\s*$/m);
  let next: string;
  if (start === -1) {
    next = `${current.trimEnd()}\n\n${section}\n`;
  } else {
    const rest = current.slice(start + 1);
    const end = rest.search(/^## /m);
    next = current.slice(0, start) + section + '\n' + (end === -1 ? '' : `\n${rest.slice(end)}`);
  }
  writeFileSync(file, next);
}

function report(rows: Row[], flags: Flags, seconds: number, root: string): string {
  const [bare, durable, gateway] = rows;
  let cpu = cpus()[0]?.model ?? '?';
  try {
    cpu = execSync('lscpu | grep "Model name"', { encoding: 'utf8' }).split(':')[1].trim();
  } catch {
    // keep os.cpus()
  }
  const verdict = (ok: boolean) => (ok ? 'met' : '**NOT met**');
  const ratio = gateway.rssPerSocketKb / bare.rssPerSocketKb;
  const lines = [
    '## WebSocket',
    '',
    `Command: \`node tools/bench/run.mjs ws\` (\`npm run bench -- ws\`, after \`node tools/scripts/build.mjs\`). Whole run ${fmt(seconds, 0)} s.`,
    `Recorded ${new Date().toISOString()} on ${cpus().length} CPUs (${cpu}), Node ${process.version}, Redis on loopback; both servers, ${flags.clients} client processes and Redis share the machine (and it is shared with other work).`,
    '',
    `Method: ${flags.sockets} websocket sockets from ${flags.clients} client processes (socket.io-client, websocket transport, half to each instance). The baseline is two bare socket.io 4 servers with the same sharded Redis adapter and options (ping 25 s, 16 KB frames, no deflate), each socket in an agency room and its unit room; they run their own entry (\`tools/bench/ws-bare-server.ts\`), which loads only socket.io, the adapter and ioredis. The gateway runs as two built processes (\`LOG_LEVEL=warn\`); sockets are \`/field\` officers with their own ES256 token (verified at the handshake, per-user quota entry in Redis, token bucket, expiry timer, unit + user rooms). RSS is the sum over both server processes (\`/proc/<pid>/status\` VmRSS) 3 s after the last handshake minus before the first, divided by the sockets; the line below the table adds the same reading ${flags.settle} s after the last handshake (by then the gateway's periodic work, instance heartbeats and dead-instance checks every 500 ms and send-buffer sweeps every 2 s, has run, and V8 may have given back heap). Unicast: ${flags.rate} msg/s for ${flags.duration} s to random units; the bare server emits \`io.to(unit room)\` on one instance, the gateway path is the real one (docs/adr/0020: the bench, as notification-service's relay, appends each command to the unit's log and publishes it in one call of \`COMMAND_LOG_APPEND_SCRIPT\`, what is due every 5 ms in one pipeline → each instance's command channel subscriber → its own sockets in the unit's room), latency from the send to the device's handler. The second baseline (the durable one) runs the same two bare servers with that single Redis call and nothing else: the same script, each server subscribed to the channel emits the message to its own sockets in the room. Broadcast: ${flags.broadcasts} broadcasts 1 s apart to every socket (gateway: \`incident.created\` XADD on \`gad:dispatch:events\` → the agency room of ${flags.sockets} \`/dispatch\` consoles, latency from the envelope's \`occurredAt\`, ms precision), p99 over every delivery.`,
    '',
    '| run | sockets | connect (s) | RSS per socket (KB) | unicast recv/sent | server CPU ms per unicast | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | broadcast recv/expected | p50 (ms) | p99 (ms) | max (ms) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.label} | ${r.sockets} | ${fmt(r.connectSeconds, 1)} | ${fmt(r.rssPerSocketKb, 1)} | ${r.unicast.received}/${r.unicast.sent} | ${fmt(r.unicast.cpuPerMessageMs, 3)} | ${fmt(r.unicast.p50)} | ${fmt(r.unicast.p95)} | ${fmt(r.unicast.p99)} | ${fmt(r.unicast.max)} | ${r.broadcast.received}/${r.broadcast.expected} | ${fmt(r.broadcast.p50)} | ${fmt(r.broadcast.p99)} | ${fmt(r.broadcast.max)} |`,
    ),
    '',
    `- idle socket ${flags.settle} s after the last handshake: gateway **${fmt(gateway.rssPerSocketLateKb, 1)} KB**, bare ${fmt(bare.rssPerSocketLateKb, 1)} KB (ratio ${fmt(gateway.rssPerSocketLateKb / bare.rssPerSocketLateKb)}) — budget (issue #20) ≤ 1.5× bare, no forced GC: ${verdict(gateway.rssPerSocketLateKb <= 1.5 * bare.rssPerSocketLateKb)}; 3 s after it: gateway ${fmt(gateway.rssPerSocketKb, 1)} KB, bare ${fmt(bare.rssPerSocketKb, 1)} KB (ratio ${fmt(ratio)})`,
    `- unicast at ${flags.rate} msg/s across two instances: gateway p95 **${fmt(gateway.unicast.p95)} ms**, p99 **${fmt(gateway.unicast.p99)} ms**, CPU ${fmt(gateway.unicast.cpuPerMessageMs, 3)} ms per command; durable baseline ${fmt(durable.unicast.p95)} / ${fmt(durable.unicast.p99)} ms, ${fmt(durable.unicast.cpuPerMessageMs, 3)} ms; bare ${fmt(bare.unicast.p95)} / ${fmt(bare.unicast.p99)} ms — budgets (issue #20): durable p99 ≤ 2× bare (${fmt(durable.unicast.p99 / bare.unicast.p99)}×): ${verdict(durable.unicast.p99 <= 2 * bare.unicast.p99)}; gateway p95 and p99 ≤ 1.5× durable (${fmt(gateway.unicast.p95 / durable.unicast.p95)}× / ${fmt(gateway.unicast.p99 / durable.unicast.p99)}×) and CPU ≤ 1.5× (${fmt(gateway.unicast.cpuPerMessageMs / durable.unicast.cpuPerMessageMs)}×): ${verdict(gateway.unicast.p95 <= 1.5 * durable.unicast.p95 && gateway.unicast.p99 <= 1.5 * durable.unicast.p99 && gateway.unicast.cpuPerMessageMs <= 1.5 * durable.unicast.cpuPerMessageMs)}`,
    `- broadcast to ${flags.sockets} sockets: gateway p99 **${fmt(gateway.broadcast.p99)} ms** (bare ${fmt(bare.broadcast.p99)} ms, gateway/bare ${fmt(gateway.broadcast.p99 / bare.broadcast.p99)}×), ${gateway.broadcast.received}/${gateway.broadcast.expected} delivered — budget p99 ≤ 1.1× bare, nothing lost: ${verdict(gateway.broadcast.p99 <= 1.1 * bare.broadcast.p99 && gateway.broadcast.received === gateway.broadcast.expected)}`,
    '',
    "The gateway unicast includes the producer's Redis call per command (log append + publish, the durability the bare emit lacks); the second baseline adds exactly that call to bare socket.io, so the gateway is compared with it for what its own code (Nest, telemetry, auth state) costs. The box is shared with other work; rerun before drawing conclusions.",
    '',
    analysis(root, 'ws'),
  ];
  return lines.join('\n');
}

export async function main(args: string[], { root }: { root: string }): Promise<void> {
  if (args.includes('--role')) {
    return clientRole();
  }
  const flags: Flags = parseBenchFlags('ws', args, {
    sockets: 10_000,
    clients: 4,
    rate: 1_000,
    duration: 10,
    broadcasts: 5,
    settle: 15,
    redisUrl: process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    write: true,
  });
  const started = now();
  const prefix = `bench:ws:${Date.now().toString(36)}:`;
  const agencyId = 'bench-agency';
  const { privateKeyPem, publicKeyPem } = createTestKeyPair();
  log(
    `ws bench: ${flags.sockets} sockets, ${flags.clients} client processes, unicast ${flags.rate}/s × ${flags.duration} s, ${flags.broadcasts} broadcasts`,
  );
  const clients = await Promise.all(
    Array.from({ length: flags.clients }, () => forkRole(root, 'client')),
  );
  const rows: Row[] = [];
  try {
    for (const durable of [false, true]) {
      const bare = await startBare(root, flags, prefix, durable);
      try {
        rows.push(await runScenario(bare, clients, flags, 'bare', agencyId));
      } finally {
        await bare.stop();
      }
    }
    const gateways = await startGateways(flags, prefix, publicKeyPem, agencyId);
    try {
      rows.push(await runScenario(gateways, clients, flags, 'gateway', agencyId, privateKeyPem));
    } finally {
      await gateways.stop();
    }
  } finally {
    clients.forEach((c) => c.send({ type: 'stop' } satisfies ToChild));
    const redis = new Redis(flags.redisUrl);
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
  }
  const section = report(rows, flags, (now() - started) / 1000, root);
  console.log(`\n${section}\n`);
  if (flags.write) {
    writeSection(root, section);
    log('wrote the "## WebSocket" section of docs/benchmarks.md');
  }
}
