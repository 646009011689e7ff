import { EventEmitter } from 'node:events';
import net from 'node:net';
import autocannon, {
  type AutocannonOptions,
  type AutocannonRequest,
  type AutocannonResult,
  type Instance,
} from 'autocannon';

/**
 * The HTTP load of every bench, with autocannon's interface (the `response` event, `onResponse`,
 * `setupRequest`, the result's latency percentiles).
 *
 * - **Unthrottled** (no `overallRate`): autocannon itself. Each connection sends its next request
 *   as soon as the previous answer arrived (a closed loop): the most a server answers with that
 *   many connections.
 * - **At a rate**: an open-loop generator. Request `i` is due at `start + i / rate`, evenly spaced;
 *   a timer of about a millisecond sends what is due, on at most `connections` keep-alive
 *   sockets, one request at a time each (a request finding every socket busy waits for one, in
 *   order). A
 *   response's time counts from the moment its request was due, not from when a socket took it,
 *   so a server that holds its connections pays for the requests queued behind them (no
 *   coordinated omission).
 *
 * Why not autocannon's `overallRate`: autocannon gives each connection a quota per second and
 * sends it back to back when the connection's one-second interval fires, so "500/s over 20
 * connections" arrives as bursts of up to 500 requests at each second boundary. Its latencies then
 * measure how long a server takes to drain a burst of one second's requests (its throughput at
 * that many connections), not the time to answer requests arriving at 500/s.
 */
export function generateLoad(options: LoadOptions): Instance {
  if (options.overallRate) {
    return paced(options, options.overallRate);
  }
  if (options.urls && options.urls.length > 1) {
    throw new Error('unthrottled load goes to one url (autocannon); pass overallRate for several');
  }
  return autocannon(options);
}

/**
 * autocannon's options, and for the paced generator `urls`: instances of one service behind one
 * address as deployed (e.g. api-gateway replicas behind a load balancer). Each request goes to the
 * instance with the fewest requests in flight that has a free connection or may open one (least
 * requests, as a balancing proxy does); `url` is then the first of them.
 */
export type LoadOptions = AutocannonOptions & { urls?: readonly string[] };

/** Requests not answered within this time count as timeouts (autocannon's default). */
const TIMEOUT_MS = 10_000;

/** One request of the generator: its bytes, when it was due, and what to do with its answer. */
interface Pending {
  bytes: string;
  dueAt: number;
  done: (
    response: { status: number; headers: Record<string, string>; body: Buffer } | Error,
  ) => void;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** An instance the paced generator sends to: its free connections and requests in flight. */
interface Target {
  host: string;
  port: number;
  idle: Connection[];
  inFlight: number;
}

/**
 * One keep-alive HTTP/1.1 connection sending one request at a time. A response is read by its
 * status line, headers and `content-length` (every route the benches call answers with one); a
 * response without it (chunked) fails its request loudly rather than being misread. Written for
 * cost: the generator shares the 2 cores with the servers it measures, and node:http's client cost
 * about 90 µs per request at 4,000 req/s, four times autocannon's raw-socket client.
 */
class Connection {
  private socket?: net.Socket;
  private buffer: Buffer = Buffer.alloc(0);
  private current?: Pending;
  private timer?: NodeJS.Timeout;
  private head?: {
    status: number;
    headers: Record<string, string>;
    bodyStart: number;
    length: number;
  };

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly onIdle: (connection: Connection) => void,
  ) {}

  get busy(): boolean {
    return this.current !== undefined;
  }

  send(request: Pending): void {
    this.current = request;
    if (!this.socket || this.socket.destroyed) this.connect();
    this.timer = setTimeout(() => this.fail(new Error('timeout')), TIMEOUT_MS);
    this.socket?.write(request.bytes);
  }

  close(): void {
    this.socket?.destroy();
  }

  private connect(): void {
    const socket = net.connect(this.port, this.host);
    socket.setNoDelay(true);
    // Events of a socket this connection already replaced concern no request of it.
    socket.on('data', (chunk: Buffer) => {
      if (this.socket === socket) this.read(chunk);
    });
    socket.on('error', (error) => {
      if (this.socket === socket) this.fail(error);
    });
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.fail(new Error('connection closed'));
    });
    this.buffer = Buffer.alloc(0);
    this.head = undefined;
    this.socket = socket;
  }

  private read(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    if (!this.head) {
      const end = this.buffer.indexOf(HEADER_END);
      if (end < 0) return;
      const lines = this.buffer.toString('latin1', 0, end).split('\r\n');
      const status = Number((lines[0] ?? '').split(' ')[1]);
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0)
          headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers['content-length']);
      if (!Number.isFinite(length)) {
        this.fail(new Error(`response without content-length (status ${status})`));
        this.socket?.destroy();
        return;
      }
      this.head = { status, headers, bodyStart: end + HEADER_END.length, length };
    }
    const { status, headers, bodyStart, length } = this.head;
    if (this.buffer.length < bodyStart + length) return;
    const body = this.buffer.subarray(bodyStart, bodyStart + length);
    this.buffer = this.buffer.subarray(bodyStart + length);
    this.head = undefined;
    const request = this.current;
    this.current = undefined;
    clearTimeout(this.timer);
    if (headers['connection'] === 'close') this.socket?.destroy();
    request?.done({ status, headers, body });
    this.onIdle(this);
  }

  private fail(error: Error): void {
    const request = this.current;
    if (!request) return;
    this.current = undefined;
    clearTimeout(this.timer);
    this.socket?.destroy();
    request.done(error);
    this.onIdle(this);
  }
}

function paced(options: LoadOptions, rate: number): Instance {
  const emitter = new EventEmitter();
  const url = new URL(options.url);
  const targets: Target[] = (options.urls?.length ? options.urls : [options.url]).map((target) => {
    const parsed = new URL(target);
    return { host: parsed.hostname, port: Number(parsed.port || 80), idle: [], inFlight: 0 };
  });
  const limit = options.connections ?? 10;
  const template: AutocannonRequest = options.requests?.[0] ?? {};
  const total = Math.max(1, Math.floor(rate * (options.duration ?? 10)));
  const interval = 1_000 / rate;
  const latencies: number[] = [];
  let errors = 0;
  let timeouts = 0;
  let non2xx = 0;
  let sent = 0;
  let outstanding = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let finish: (result: AutocannonResult) => void = () => undefined;
  const done = new Promise<AutocannonResult>((resolve) => {
    finish = resolve;
  });
  const connections: Connection[] = [];
  const targetOf = new Map<Connection, Target>();
  const waiting: Pending[] = [];
  const onIdle = (connection: Connection): void => {
    const target = targetOf.get(connection) as Target;
    const next = waiting.shift();
    if (next) {
      connection.send(next);
    } else {
      target.inFlight -= 1;
      target.idle.push(connection);
    }
  };
  /** The request's connection: see {@link LoadOptions}; none when every connection is busy. */
  const connectionFor = (): Connection | undefined => {
    let best: Target | undefined;
    for (const target of targets) {
      if (target.idle.length === 0 && connections.length >= limit) continue;
      if (!best || target.inFlight < best.inFlight) best = target;
    }
    if (!best) return undefined;
    best.inFlight += 1;
    const reused = best.idle.pop();
    if (reused) return reused;
    const created = new Connection(best.host, best.port, onIdle);
    connections.push(created);
    targetOf.set(created, best);
    return created;
  };

  const settleIfDone = (): void => {
    if ((stopped || sent >= total) && outstanding === 0) {
      if (timer) clearTimeout(timer);
      for (const connection of connections) connection.close();
      finish(resultOf(latencies, { errors, timeouts, non2xx }));
    }
  };

  const fire = (dueAt: number): void => {
    const base: Record<string, unknown> = {
      method: template.method ?? 'GET',
      path: template.path ?? '/',
      headers: { ...options.headers, ...template.headers },
      body: template.body,
    };
    const request = template.setupRequest ? template.setupRequest(base) : base;
    const body = typeof request['body'] === 'string' ? (request['body'] as string) : '';
    const headers = Object.entries((request['headers'] as Record<string, string>) ?? {})
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    const bytes =
      `${String(request['method'])} ${String(request['path'])} HTTP/1.1\r\nhost: ${url.host}\r\n` +
      `${headers}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    outstanding += 1;
    const pending: Pending = {
      bytes,
      dueAt,
      done: (response) => {
        outstanding -= 1;
        if (response instanceof Error) {
          if (response.message === 'timeout') timeouts += 1;
          else errors += 1;
        } else {
          const ms = performance.now() - dueAt;
          latencies.push(ms);
          if (response.status < 200 || response.status >= 300) non2xx += 1;
          template.onResponse?.(
            response.status,
            response.body.toString('utf8'),
            undefined,
            response.headers,
          );
          emitter.emit('response', undefined, response.status, response.body.length, ms);
        }
        settleIfDone();
      },
    };
    const connection = connectionFor();
    if (connection) {
      connection.send(pending);
    } else {
      waiting.push(pending);
    }
  };

  const start = performance.now();
  const tick = (): void => {
    timer = undefined;
    if (stopped) return settleIfDone();
    const now = performance.now();
    while (sent < total && start + sent * interval <= now) {
      fire(start + sent * interval);
      sent += 1;
    }
    if (sent < total) {
      timer = setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
    } else {
      settleIfDone();
    }
  };
  tick();

  return Object.assign(emitter, {
    then: done.then.bind(done),
    stop: (): void => {
      stopped = true;
      settleIfDone();
    },
  }) as unknown as Instance;
}

function resultOf(
  latencies: number[],
  counts: { errors: number; timeouts: number; non2xx: number },
): AutocannonResult {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (p: number): number =>
    sorted.length
      ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
      : 0;
  const round = (ms: number): number => Math.round(ms * 100) / 100;
  return {
    latency: {
      p50: round(at(50)),
      p90: round(at(90)),
      p97_5: round(at(97.5)),
      p99: round(at(99)),
      average: round(sorted.reduce((sum, ms) => sum + ms, 0) / Math.max(1, sorted.length)),
      max: round(sorted[sorted.length - 1] ?? 0),
    },
    requests: { average: 0, total: sorted.length },
    ...counts,
  };
}
