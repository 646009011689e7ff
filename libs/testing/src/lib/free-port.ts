import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Ports handed out below the kernel's ephemeral range start here. */
const LOWEST_PORT = 20_000;

/** The first port of the kernel's ephemeral range (Linux's default 32768 elsewhere). */
function ephemeralStart(): number {
  try {
    const [start] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    return Number.isInteger(start) && start > LOWEST_PORT + 1_000 ? start : 32_768;
  } catch {
    return 32_768;
  }
}

const range = { start: LOWEST_PORT, end: ephemeralStart() };
/** Where this process looks next: ports go out in turn from a random start, so parallel test processes rarely meet. */
let next = range.start + Math.floor(Math.random() * (range.end - range.start));

function listenable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A TCP port on loopback that was free a moment ago, taken below the kernel's ephemeral range:
 * a port the kernel hands out for `listen(0)` is one it may also give the next outgoing
 * connection's local end, and a service told to listen on it a moment later then failed with
 * EADDRINUSE (seen in the deploy smoke test, whose services open database connections while the
 * next one starts).
 */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 200; tries += 1) {
    const port = next;
    next = next + 1 >= range.end ? range.start : next + 1;
    if (await listenable(port)) {
      return port;
    }
  }
  throw new Error(`no free port in ${range.start}-${range.end - 1} after 200 tries`);
}
