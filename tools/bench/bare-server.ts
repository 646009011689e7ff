/*
 * Bare baseline servers of the HTTP benchmarks: a script run as its own Node process (no Nest, auth,
 * validation, RPC hop or telemetry), resolving the repository's own Fastify and pg so the baseline
 * uses the same library versions as the services.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '@gad/testing';

export interface BareServer {
  url: string;
  pid: number;
  stop(): void;
}

/**
 * Starts `source` (CommonJS; `process.env.FASTIFY_PATH`, `PG_PATH`, `PORT` and `env` are set) and
 * resolves once it printed `ready`.
 */
export async function startBareServer(
  root: string,
  source: string,
  env: Record<string, string>,
): Promise<BareServer> {
  const dir = mkdtempSync(join(tmpdir(), 'gad-bench-bare-'));
  const file = join(dir, 'bare-server.js');
  writeFileSync(file, source);
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [file], {
    env: {
      ...process.env,
      ...env,
      PORT: String(port),
      FASTIFY_PATH: require.resolve('fastify', { paths: [root] }),
      PG_PATH: require.resolve('pg', { paths: [root] }),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let ready = false;
  child.stdout?.on('data', (chunk: Buffer) => {
    if (chunk.toString().includes('ready')) ready = true;
  });
  const stop = (): void => {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(() => ready, { description: 'bare server ready', timeoutMs: 15_000 });
  } catch (error) {
    stop();
    throw error;
  }
  return { url: `http://127.0.0.1:${port}`, pid: child.pid ?? 0, stop };
}
