import { EventEmitter } from 'node:events';
import http from 'node:http';
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
 *   a timer of about a millisecond sends what is due, on a keep-alive pool of at most
 *   `connections` sockets (a request finding every socket busy waits for one, in order). A
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
export function generateLoad(options: AutocannonOptions): Instance {
  return options.overallRate ? paced(options, options.overallRate) : autocannon(options);
}

/** Requests not answered within this time count as timeouts (autocannon's default). */
const TIMEOUT_MS = 10_000;

function paced(options: AutocannonOptions, rate: number): Instance {
  const emitter = new EventEmitter();
  const url = new URL(options.url);
  const connections = options.connections ?? 10;
  const agent = new http.Agent({
    keepAlive: true,
    maxSockets: connections,
    maxFreeSockets: connections,
    scheduling: 'fifo',
  });
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

  const settleIfDone = (): void => {
    if ((stopped || sent >= total) && outstanding === 0) {
      if (timer) clearTimeout(timer);
      agent.destroy();
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
    const body = typeof request['body'] === 'string' ? (request['body'] as string) : undefined;
    const headers: Record<string, string | number> = {
      ...(request['headers'] as Record<string, string>),
    };
    if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
    outstanding += 1;
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      outstanding -= 1;
      settleIfDone();
    };
    const req = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method: request['method'] as string,
        path: request['path'] as string,
        headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (template.onResponse) chunks.push(chunk);
        });
        res.on('end', () => {
          const ms = performance.now() - dueAt;
          const status = res.statusCode ?? 0;
          latencies.push(ms);
          if (status < 200 || status >= 300) non2xx += 1;
          if (template.onResponse) {
            const flat: Record<string, string | undefined> = {};
            for (const [name, value] of Object.entries(res.headers)) {
              flat[name] = Array.isArray(value) ? value.join(', ') : value;
            }
            template.onResponse(status, Buffer.concat(chunks).toString('utf8'), undefined, flat);
          }
          emitter.emit('response', undefined, status, bytes, ms);
          settle();
        });
        res.on('error', () => {
          errors += 1;
          settle();
        });
      },
    );
    req.setTimeout(TIMEOUT_MS, () => {
      timeouts += 1;
      req.destroy();
      settle();
    });
    req.on('error', () => {
      if (!settled) errors += 1;
      settle();
    });
    req.end(body);
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
    sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : 0;
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
