/*
 * Dispatch benchmark: assignment → officer device receipt → acceptance recorded, through the built
 * ws-gateway and notification-service, with N authenticated `/field` officer sockets and a fixed
 * dispatch rate. Each dispatch is an `assignment.created` envelope appended to gad:dispatch:events
 * (exactly what the api-gateway's outbox relay appends), so the figures cover the notification path
 * without the REST edge. Baseline in the same run: a bare socket.io server with the same number of
 * sockets, server emit → client ack at the same rate (the transport floor).
 *
 *   node tools/bench/run.mjs dispatch [--sockets 2000] [--rate 50] [--duration 20] [--warmup 2] [--no-write]
 *     [--stalls] [--trace <file>]
 *
 * Diagnostics (stderr only, not in docs/benchmarks.md): the segments of each dispatch's time (from
 * the stored times of its command) and its 10 slowest dispatches; `--stalls` preloads
 * tools/bench/stall-monitor.preload.js into the services and the bench and reports each process's
 * CPU per dispatch, event-loop stalls and GC pauses in the measured window, and how many stalls
 * were the whole box's (every process late at once); `--trace` writes each dispatch's times.
 */
import { auditQueuePrefix } from '@gad/audit';
import { uuidv7 } from '@gad/contracts';
import {
  createTestDatabase,
  createTestKeyPair,
  queuedAuditEntries,
  startServiceProcess,
  uniqueRedisPrefix,
  type ServiceProcess,
} from '@gad/testing';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Client } from 'pg';
import { Server } from 'socket.io';
import { fmt, machine, percentile, progress, writeSection, parseBenchFlags } from './report';

/** Kept with the figures: what the run shows and what it does not. */
const ANALYSIS = [
  '### Reading the figures',
  '',
  '- **Delivery**: the line above says whether every dispatch reached its device, every acceptance was recorded, and the issue and the ack of every command are on the audit queue.',
  '- **Latency depends on the box being free.** On a quiet machine (2026-11-22, load average ~2) the end-to-end p99 at 50 dispatches/s with 5,000 sockets was 146 ms, within the 250 ms budget. A run the same day at load average 10–15 on 2 cores (other suites and benches running) measured p99 19 s: the services fell behind and the backlog, not the path, set the tail. At 2 dispatches/s notification-service (then) handed a command to `gad:notify:outbound` 18–39 ms after the assignment is appended (crew and webhook lookups, one transaction with the command rows and the outbox, two BullMQ delayed jobs).',
  '- Not measured here: the REST edge (`POST /v1/incidents/:id/assignments`); the bench appends the event the api-gateway\u2019s outbox would.',
].join('\n');

const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Flags {
  sockets: number;
  rate: number;
  duration: number;
  /** Seconds of dispatches at the same rate before the measured ones (not counted). */
  warmup: number;
  redisUrl: string;
  write: boolean;
  /** Record event-loop stalls, GC pauses and CPU of every process (stall-monitor.preload.js). */
  stalls: boolean;
  /** A file for each dispatch's times (JSON lines), '' for none. */
  trace: string;
}

interface Stats {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  n: number;
}

function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    n: sorted.length,
  };
}

/** Paces `fn` at `rate` per second for `durationMs`. */
async function paced(rate: number, durationMs: number, fn: (i: number) => void): Promise<number> {
  const start = now();
  let sent = 0;
  while (now() - start < durationMs) {
    const due = Math.floor(((now() - start) / 1000) * rate);
    while (sent < due) {
      fn(sent);
      sent += 1;
    }
    await sleep(5);
  }
  return sent;
}

/** Messages of the devices process (dispatch-devices.js). */
type FromDevices =
  | { type: 'ready' | 'closed' }
  | { type: 'connected'; ok: number; failed: number }
  | { type: 'command'; assignmentId: string; commandId: string; at: number };

/**
 * The devices process: the baseline's clients and the officers' devices run in a forked process of
 * their own (`dispatch-devices.js`, no ts-node), so a garbage collection of this process, which
 * holds ts-node and the TypeScript compiler and pauses 80-100 ms at a major GC, delays no device.
 * Its times are CLOCK_MONOTONIC; `hrOffset` turns them into this process's clock.
 */
class Devices {
  private readonly hrOffset = now() - Number(process.hrtime.bigint()) / 1e6;
  private onCommand?: (assignmentId: string, commandId: string, at: number) => void;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: FromDevices) => {
      if (message.type === 'command') {
        this.onCommand?.(message.assignmentId, message.commandId, message.at + this.hrOffset);
      }
    });
  }

  static async start(): Promise<Devices> {
    const child = fork(join(__dirname, 'dispatch-devices.js'), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const devices = new Devices(child);
    await devices.next('ready');
    return devices;
  }

  private next<T extends FromDevices['type']>(type: T): Promise<Extract<FromDevices, { type: T }>> {
    return new Promise((resolve, reject) => {
      const onMessage = (message: FromDevices) => {
        if (message.type !== type) return;
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
        resolve(message as Extract<FromDevices, { type: T }>);
      };
      const onExit = (code: number | null) =>
        reject(new Error(`the devices process exited (${code}) before '${type}'`));
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
    });
  }

  /** Plain socket.io clients (auth `{ unit }`) that answer each `command` with an `ack`. */
  async connectBare(url: string, count: number): Promise<number> {
    this.child.send({ type: 'bare', url, count });
    return this.connected();
  }

  /** Officers' field connections; `onCommand` gets each assignment's first command on arrival. */
  async connectField(
    url: string,
    tokens: string[],
    onCommand: (assignmentId: string, commandId: string, at: number) => void,
  ): Promise<number> {
    this.onCommand = onCommand;
    this.child.send({ type: 'field', url, tokens });
    return this.connected();
  }

  private async connected(): Promise<number> {
    const { ok, failed } = await this.next('connected');
    if (failed > 0) throw new Error(`${failed} device connections failed`);
    return ok;
  }

  async closeAll(): Promise<void> {
    this.child.send({ type: 'close' });
    await this.next('closed');
  }

  stop(): void {
    this.child.kill();
  }
}

/** Bare socket.io: server emits `command` to one socket's room, the client acks with an event. */
/**
 * One full garbage collection of this process right before a measured phase, both the baseline's
 * and the dispatches'. It stamps the sends and the recorded acceptances (LISTEN/NOTIFY), so a
 * pause of its collector (80-100 ms for a major GC of a heap holding ts-node) would delay those
 * stamps; collecting when nothing is measured keeps a warm-up's garbage out of the window. The
 * services are not touched.
 */
function collectHarnessGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

async function baseline(flags: Flags, devices: Devices): Promise<Stats & { lost: number }> {
  const http = createServer();
  const server = new Server(http);
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  server.on('connection', (socket) => {
    void socket.join(`unit:${String(socket.handshake.auth['unit'])}`);
    socket.on('ack', (id: string) => {
      const t0 = sentAt.get(id);
      if (t0 !== undefined) {
        latencies.push(now() - t0);
        sentAt.delete(id);
      }
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const connected = await devices.connectBare(url, flags.sockets);
  progress(`baseline: ${connected} bare sockets connected (devices process)`);
  collectHarnessGarbage();
  const sent = await paced(flags.rate, flags.duration * 1000, () => {
    const id = uuidv7();
    const unit = Math.floor(Math.random() * flags.sockets);
    sentAt.set(id, now());
    server.to(`unit:unit-${unit}`).emit('command', { id, title: 'x', body: 'y' });
  });
  const deadline = now() + 10_000;
  while (latencies.length < sent && now() < deadline) await sleep(20);
  await devices.closeAll();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return { ...stats(latencies), lost: sent - latencies.length };
}

interface MonitorLine {
  k: 'stall' | 'gc' | 'cpu';
  at: number;
  late?: number;
  d?: number;
  kind?: string;
  ms?: number;
}

/**
 * Per process, in the measured window (first measured dispatch sent → last one seen): CPU per
 * dispatch, event-loop stalls (≥ 15 / ≥ 50 ms, longest), GC pauses (≥ 2 ms: count, sum, longest),
 * and how many of its stalls of 40 ms and more overlapped one of every other process (the whole
 * box held up, not this process's own work).
 */
function reportStalls(dir: string, start: number, end: number, dispatches: number): void {
  const processes = readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => ({
      name: f.replace(/-\d+\.jsonl$/, ''),
      lines: readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as MonitorLine),
    }));
  const inWindow = (l: MonitorLine) => l.at >= start && l.at <= end;
  const stallsOf = (lines: MonitorLine[]) => lines.filter((l) => l.k === 'stall' && inWindow(l));
  progress(`  processes in the measured window (${fmt((end - start) / 1000, 1)} s):`);
  for (const { name, lines } of processes) {
    const cpu = lines.filter((l) => l.k === 'cpu');
    const before = [...cpu].reverse().find((l) => l.at <= start) ?? cpu[0];
    const after = cpu.find((l) => l.at >= end) ?? cpu[cpu.length - 1];
    const cpuMs = (after?.ms ?? 0) - (before?.ms ?? 0);
    const stalls = stallsOf(lines);
    const gcs = lines.filter((l) => l.k === 'gc' && inWindow(l));
    const long = stalls.filter((l) => (l.late ?? 0) >= 40);
    const others = processes.filter((p) => p.name !== name).map((p) => stallsOf(p.lines));
    const boxWide = long.filter((l) =>
      others.every((o) =>
        o.some((x) => x.at < l.at + (l.late ?? 0) && x.at + (x.late ?? 0) > l.at),
      ),
    ).length;
    progress(
      `    ${name}: CPU ${fmt(cpuMs / Math.max(1, dispatches), 2)} ms per dispatch; stalls ≥ 15 ms ${stalls.length}, ≥ 50 ms ${stalls.filter((l) => (l.late ?? 0) >= 50).length}, longest ${fmt(Math.max(0, ...stalls.map((l) => l.late ?? 0)), 0)} ms (of ${long.length} ≥ 40 ms, ${boxWide} with every other process late too); GC ≥ 2 ms ${gcs.length}, ${fmt(
        gcs.reduce((sum, l) => sum + (l.d ?? 0), 0),
        0,
      )} ms in all, longest ${fmt(Math.max(0, ...gcs.map((l) => l.d ?? 0)), 0)} ms`,
    );
  }
}

export async function main(args: string[], { root }: { root: string }): Promise<void> {
  const flags: Flags = parseBenchFlags('dispatch', args, {
    sockets: 2_000,
    rate: 50,
    duration: 20,
    warmup: 2,
    redisUrl: process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    write: true,
    stalls: false,
    trace: '',
  });
  const stallDir = flags.stalls ? mkdtempSync(join(tmpdir(), 'gad-dispatch-stalls-')) : undefined;
  if (stallDir) {
    const preload = join(__dirname, 'stall-monitor.preload.js');
    process.env['GAD_BENCH_STALL_DIR'] = stallDir;
    process.env['GAD_SERVICE_NODE_ARGS'] =
      `${process.env['GAD_SERVICE_NODE_ARGS'] ?? ''} -r ${preload}`.trim();
    await import(preload);
  }
  if (!existsSync(join(root, 'dist', 'apps', 'notification-service', 'src', 'main.js'))) {
    throw new Error('build first: node tools/scripts/build.mjs');
  }
  const started = now();
  progress(
    `dispatch bench: ${flags.sockets} officer sockets, ${flags.rate} dispatches/s for ${flags.duration} s`,
  );
  const devices = await Devices.start();
  let bare: Stats & { lost: number };
  try {
    bare = await baseline(flags, devices);
  } catch (error) {
    devices.stop();
    throw error;
  }
  progress(`baseline p99 ${fmt(bare.p99)} ms`);

  const database = await createTestDatabase();
  const prefix = uniqueRedisPrefix();
  const agencyId = 'bench-agency';
  const jwt = createTestKeyPair();
  const env = {
    DATABASE_URL: database.url,
    REDIS_URL: flags.redisUrl,
    REDIS_KEY_PREFIX: prefix,
    JWT_PUBLIC_KEY: jwt.publicKeyPem,
    LOG_LEVEL: 'warn',
    OUTBOX_POLL_MS: '100',
  };
  const services: ServiceProcess[] = [];
  const redis = new Redis(flags.redisUrl);
  const pg = new Client({ connectionString: database.url });
  try {
    services.push(
      await startServiceProcess({ app: 'notification-service', env, readyTimeoutMs: 60_000 }),
    );
    services.push(await startServiceProcess({ app: 'ws-gateway', env, readyTimeoutMs: 60_000 }));
    const ws = services[1] as ServiceProcess;
    await pg.connect();

    const received = new Map<string, number>();
    const published = new Map<string, number>();
    const commandIds: string[] = [];
    const sign = (i: number) =>
      new SignJWT({ agencyId, roles: ['officer'], unitId: `unit-${i}` })
        .setProtectedHeader({ alg: 'ES256' })
        .setSubject(`officer-${i}`)
        .setIssuer('gad-dispatch')
        .setAudience('gad-dispatch')
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(jwt.privateKey);
    const tokens = await Promise.all(Array.from({ length: flags.sockets }, (_, i) => sign(i)));
    // Each assignment's first command, on arrival at a device (the device accepts it at once).
    const connected = await devices.connectField(ws.url, tokens, (assignmentId, commandId, at) => {
      if (!received.has(assignmentId)) {
        received.set(assignmentId, at);
        commandIds.push(commandId);
      }
    });
    progress(`${connected} officer sockets connected to ws-gateway (devices process)`);

    // "Recorded" is the commit of the acceptance: a trigger of this bench's database NOTIFYs the
    // assignment when `accepted_at` is set, and PostgreSQL delivers it at the commit (no polling
    // period added to the figure).
    const pending = new Set<string>();
    const recorded = new Map<string, number>();
    await pg.query(`
      CREATE FUNCTION public.bench_accepted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify('bench_accepted', NEW.assignment_id::text); RETURN NEW; END $$;
      CREATE TRIGGER bench_accepted AFTER UPDATE OF accepted_at ON notify.commands FOR EACH ROW
        WHEN (OLD.accepted_at IS NULL AND NEW.accepted_at IS NOT NULL)
        EXECUTE FUNCTION public.bench_accepted();
      LISTEN bench_accepted;`);
    const warming = new Set<string>();
    pg.on('notification', ({ payload }) => {
      if (payload && pending.delete(payload)) recorded.set(payload, now());
      if (payload) warming.delete(payload);
    });

    const dispatch = (measured: boolean): void => {
      const i = Math.floor(Math.random() * flags.sockets);
      const assignmentId = uuidv7();
      const envelope = {
        id: uuidv7(),
        type: 'assignment.created',
        version: 1,
        occurredAt: new Date().toISOString(),
        agencyId,
        actor: { kind: 'user', id: 'dispatcher-bench', roles: ['dispatcher'] },
        data: {
          assignmentId,
          incidentId: uuidv7(),
          unitId: `unit-${i}`,
          status: 'notified',
          priority: 'P1',
          incidentType: 'bench',
          location: { type: 'Point', coordinates: [-3.7, 40.4] },
          crew: [`officer-${i}`],
          createdAt: new Date().toISOString(),
        },
      };
      if (measured) {
        published.set(assignmentId, now());
        pending.add(assignmentId);
      } else {
        warming.add(assignmentId);
      }
      void redis.xadd(`${prefix}gad:dispatch:events`, '*', 'envelope', JSON.stringify(envelope));
    };
    // Warm-up (not counted): the first dispatches after the services start run cold code (JIT,
    // first statements and scripts) and were the slowest of a run.
    await paced(flags.rate, flags.warmup * 1000, () => dispatch(false));
    const warmDeadline = now() + 10_000;
    while (warming.size > 0 && now() < warmDeadline) await sleep(50);
    progress(`warm-up: ${Math.round(flags.rate * flags.warmup)} dispatches not counted`);
    collectHarnessGarbage();
    const dispatched = await paced(flags.rate, flags.duration * 1000, () => dispatch(true));
    const deadline = now() + 20_000;
    while (pending.size > 0 && now() < deadline) await sleep(50);
    const lostAcks = pending.size;
    pending.clear();

    const receipt: number[] = [];
    const endToEnd: number[] = [];
    for (const [assignmentId, t0] of published) {
      const r = received.get(assignmentId);
      if (r !== undefined) receipt.push(r - t0);
      const a = recorded.get(assignmentId);
      if (a !== undefined) endToEnd.push(a - t0);
    }
    // Where the end to end time goes (stderr only): the stored times of each command.
    const { rows: times } = await pg.query<{
      assignment_id: string;
      issued: number;
      committed: number;
      relayed: number;
      acked: number;
    }>(
      `SELECT c.assignment_id,
              extract(epoch FROM c.issued_at) * 1000 AS issued,
              extract(epoch FROM o.created_at) * 1000 AS committed,
              extract(epoch FROM o.sent_at) * 1000 AS relayed,
              extract(epoch FROM c.accepted_at) * 1000 AS acked
         FROM notify.commands c
         JOIN notify.outbox o ON o.stream = 'queue:commands'
          AND o.envelope -> 'data' ->> 'commandId' = c.command_id::text`,
    );
    const segments: Record<string, number[]> = {
      'appended → handler starts': [],
      'handler starts → its transaction starts': [],
      'transaction starts → relay transaction starts': [],
      'relay transaction starts → command on device': [],
      'command on device → ack at ws-gateway': [],
      'ack at ws-gateway → seen recorded': [],
    };
    const seg = Object.values(segments);
    for (const t of times) {
      const t0 = published.get(t.assignment_id);
      const onDevice = received.get(t.assignment_id);
      const seen = recorded.get(t.assignment_id);
      if (t0 === undefined || onDevice === undefined || seen === undefined) continue;
      const points = [t0, t.issued, t.committed, t.relayed, onDevice, t.acked, seen].map(Number);
      points.slice(1).forEach((point, index) => seg[index]?.push(point - (points[index] ?? 0)));
    }
    for (const [label, values] of Object.entries(segments)) {
      const s = stats(values);
      progress(
        `  ${label}: p50 ${fmt(s.p50)} / p95 ${fmt(s.p95)} / p99 ${fmt(s.p99)} ms (n ${s.n})`,
      );
    }
    const traced = times.flatMap((t) => {
      const t0 = published.get(t.assignment_id);
      const onDevice = received.get(t.assignment_id);
      const seen = recorded.get(t.assignment_id);
      return t0 === undefined
        ? []
        : [
            {
              id: t.assignment_id,
              points: [t0, t.issued, t.committed, t.relayed, onDevice, t.acked, seen].map((v) =>
                v === undefined || v === null ? null : Number(v),
              ),
            },
          ];
    });
    const firstSent = Math.min(...published.values());
    const slowest = traced
      .filter((t) => t.points[6] !== null)
      .sort(
        (a, b) =>
          (b.points[6] as number) -
          (b.points[0] as number) -
          ((a.points[6] as number) - (a.points[0] as number)),
      )
      .slice(0, 10);
    progress('  slowest dispatches (sent at +s: end to end = the six segments above, ms):');
    for (const t of slowest) {
      const p = t.points as number[];
      progress(
        `    +${fmt(((p[0] as number) - firstSent) / 1000, 2)} s: ${fmt((p[6] as number) - (p[0] as number), 0)} = ${p
          .slice(1)
          .map((point, index) => fmt(point - (p[index] as number), 0))
          .join(' + ')}`,
      );
    }
    if (flags.trace) {
      writeFileSync(flags.trace, traced.map((t) => JSON.stringify(t)).join('\n') + '\n');
      progress(`  each dispatch's times: ${flags.trace}`);
    }
    if (stallDir) {
      const lastSeen = Math.max(...recorded.values(), ...received.values());
      reportStalls(stallDir, firstSent, lastSeen, published.size);
    }

    // Audit: every issued command and every acceptance has its entry on the audit queue.
    await sleep(1_000);
    const entries = await queuedAuditEntries(redis, auditQueuePrefix(prefix));
    const issuedAudited = new Set<string>();
    const ackAudited = new Set<string>();
    for (const entry of entries) {
      if (entry.action === 'command.issue' && entry.object?.id) issuedAudited.add(entry.object.id);
      if (
        entry.action === 'command.ack' &&
        entry.details?.['stage'] === 'accepted' &&
        entry.object?.id
      )
        ackAudited.add(entry.object.id);
    }
    const acked = commandIds.filter((id) => ackAudited.has(id)).length;
    const issued = commandIds.filter((id) => issuedAudited.has(id)).length;
    const r = stats(receipt);
    const e = stats(endToEnd);
    const seconds = (now() - started) / 1000;
    const ackedPct = (100 * e.n) / Math.max(1, dispatched);
    const auditedPct = (100 * Math.min(acked, issued)) / Math.max(1, commandIds.length);
    progress(
      `dispatched ${dispatched}; receipt p99 ${fmt(r.p99)} ms; ack recorded p99 ${fmt(e.p99)} ms; acked ${fmt(ackedPct, 3)} %; audited ${fmt(auditedPct, 2)} %`,
    );
    const row = (label: string, s: Stats) =>
      `| ${label} | ${s.n} | ${fmt(s.p50)} | ${fmt(s.p95)} | ${fmt(s.p99)} | ${fmt(s.max)} |`;
    const section = [
      '## Dispatch',
      '',
      `Command: \`node tools/bench/run.mjs dispatch --sockets ${flags.sockets} --rate ${flags.rate} --duration ${flags.duration} --warmup ${flags.warmup}\` (\`npm run bench -- dispatch\`, after \`node tools/scripts/build.mjs\`). ${new Date().toISOString().slice(0, 10)}, ${machine()}, everything on one box (bench clients, ws-gateway, notification-service, PostgreSQL, Redis) with other work running (load average at the end ${loadavg()
        .map((l) => fmt(l, 1))
        .join(' / ')} on 2 cores). Whole run ${fmt(seconds, 0)} s.`,
      '',
      `${flags.sockets} authenticated \`/field\` officer sockets on one ws-gateway; ${flags.rate} P1 dispatches/s for ${flags.duration} s (after ${flags.warmup} s of the same, not counted), each an \`assignment.created\` appended to \`gad:dispatch:events\` as the api-gateway's outbox relay does (the REST edge is not in this path). notification-service issues the command (its outbox relay appends it to the unit's log and publishes it on \`gad:ws:commands\` in one Redis call, docs/adr/0020), ws-gateway emits it, the device acks \`delivered\` and \`accepted\`, ws-gateway checks them against the log and publishes them on \`gad:field:acks\` with the command's assignment (docs/adr/0028), notification-service records them. "Acceptance recorded" is the commit that sets \`notify.commands.accepted_at\`, observed with LISTEN/NOTIFY (a trigger the bench adds to its own database). The officers' devices and the baseline's clients (the same ${flags.sockets} sockets' worth) run in a forked process of their own that loads only socket.io-client and the built \`@gad/client\` (\`tools/bench/dispatch-devices.js\`), so the measuring process's garbage collections (it holds ts-node) delay no device; it runs one full collection right before each measured phase.`,
      '',
      '| path (ms) | n | p50 | p95 | p99 | max |',
      '|---|---|---|---|---|---|',
      row('baseline: bare socket.io emit → client ack (same sockets, same rate)', bare),
      row('assignment appended → command on the officer device', r),
      row('assignment appended → acceptance recorded in `notify` (end to end)', e),
      '',
      `Dispatched ${dispatched}; commands received ${r.n}; acceptances recorded ${e.n} (${fmt(ackedPct, 3)} %, budget ≥ 99.99 %; ${lostAcks} missing after a 20 s drain); baseline lost ${bare.lost}. Audited: ${issued}/${commandIds.length} commands with \`command.issue\` and ${acked}/${commandIds.length} with \`command.ack\` (accepted) on the audit queue (${fmt(auditedPct, 2)} %, budget 100 %). Budget p99 end to end ≤ 40× the bare emit → ack p99 of this run (issue #20): ${fmt(e.p99 / bare.p99, 1)}×, ${e.p99 <= 40 * bare.p99 ? 'met' : 'not met'}.`,
      '',
      ANALYSIS,
    ].join('\n');
    console.log(`\n${section}\n`);
    if (flags.write) {
      writeSection(root, '## Dispatch', section);
      progress('docs/benchmarks.md updated (## Dispatch)');
    }
  } finally {
    await devices.closeAll().catch(() => undefined);
    devices.stop();
    await Promise.all(services.map((s) => s.stop()));
    redis.disconnect();
    await pg.end().catch(() => undefined);
    await database.drop();
  }
}
