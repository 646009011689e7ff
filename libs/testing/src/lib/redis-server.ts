import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { freePort } from './free-port';
import { waitFor } from './wait-for';

export interface RedisServerHandle {
  readonly port: number;
  readonly url: string;
  /** Stops the server (SIGKILL when `hard`), keeping the port for a later {@link start}. */
  stop(options?: { hard?: boolean }): Promise<void>;
  /** Starts it again on the same port (empty: it keeps nothing on disk). */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  dispose(): Promise<void>;
}

/** Options of a private server: extra redis-server arguments (`--requirepass`, ACLs), TLS only. */
export interface RedisServerOptions {
  readonly args?: readonly string[];
  /** TLS only (`--port 0 --tls-port <port>`, client certificates not required); url is rediss://. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly caFile: string };
}

function ping(port: number, tls: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const socket: Socket = tls
      ? tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false })
      : createConnection({ host: '127.0.0.1', port });
    socket.setTimeout(500);
    socket.once(tls ? 'secureConnect' : 'connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      // A server that requires AUTH answers -NOAUTH: it is up.
      resolve(/^(\+PONG|-NOAUTH)/.test(data.toString()));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * A private redis-server on a free high port, for tests that stop, kill or restart Redis. The
 * machine's own Redis on 6379 is never touched.
 */
export async function startRedisServer(
  options: RedisServerOptions = {},
): Promise<RedisServerHandle> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'gad-redis-'));
  let child: ChildProcess | undefined;
  // Every process this handle spawned: dispose() kills any still alive, so no server outlives
  // its test, whatever order the test called start() and stop() in.
  const spawned = new Set<ChildProcess>();

  const start = async (): Promise<void> => {
    if (child && child.exitCode === null && child.signalCode === null) {
      return; // already running
    }
    child = spawn(
      'redis-server',
      [
        ...(options.tls
          ? [
              '--port',
              '0',
              '--tls-port',
              String(port),
              '--tls-cert-file',
              options.tls.certFile,
              '--tls-key-file',
              options.tls.keyFile,
              '--tls-ca-cert-file',
              options.tls.caFile,
              '--tls-auth-clients',
              'no',
            ]
          : ['--port', String(port)]),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        ...(options.args ?? []),
      ],
      { stdio: 'ignore' },
    );
    const started = child;
    spawned.add(started);
    started.once('exit', () => spawned.delete(started));
    await waitFor(() => ping(port, Boolean(options.tls)), {
      description: `redis-server on port ${port}`,
      timeoutMs: 10_000,
    });
  };

  const stop = async ({ hard = false } = {}): Promise<void> => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) {
      return;
    }
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill(hard ? 'SIGKILL' : 'SIGTERM');
    await exited;
  };

  await start();
  return {
    port,
    url: `${options.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    stop,
    start,
    dispose: async () => {
      await stop({ hard: true });
      for (const leftover of spawned) {
        leftover.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
