import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort, waitFor } from '@gad/testing';

const repoRoot = resolve(__dirname, '../../../..');

export interface FixtureProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Parsed JSON lines printed on stdout (pino), in order. */
  readonly lines: Record<string, unknown>[];
  /** Raw output, for failure messages. */
  readonly output: string[];
  readonly exited: Promise<number | null>;
  waitForLine(
    predicate: (line: Record<string, unknown>) => boolean,
    description: string,
  ): Promise<Record<string, unknown>>;
}

/** Starts `fixtures/<script>` in a real Node process (ts-node), resolves once it logs "listening". */
export async function startFixtureProcess(
  script: string,
  env: Record<string, string> = {},
): Promise<FixtureProcess> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      '-r',
      'ts-node/register/transpile-only',
      '-r',
      'tsconfig-paths/register',
      join(__dirname, '../fixtures', script),
    ],
    {
      cwd: repoRoot,
      env: {
        PATH: process.env['PATH'] ?? '',
        TS_NODE_PROJECT: join(repoRoot, 'tsconfig.spec.json'),
        NODE_ENV: 'test',
        LOG_LEVEL: 'info',
        PORT: String(port),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: Record<string, unknown>[] = [];
  const output: string[] = [];
  const exited = new Promise<number | null>((resolveExit) =>
    child.once('close', (code) => resolveExit(code)),
  );
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (text) => {
      output.push(text);
      if (text.startsWith('{')) {
        try {
          lines.push(JSON.parse(text) as Record<string, unknown>);
        } catch {
          // not JSON
        }
      }
    });
  }
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code === null ? -1 : code));
  const waitForLine = (
    predicate: (line: Record<string, unknown>) => boolean,
    description: string,
  ) =>
    waitFor(
      () => {
        if (exitCode !== undefined && !lines.some(predicate)) {
          throw new Error(`fixture exited (${exitCode}):\n${output.slice(-30).join('\n')}`);
        }
        return lines.find(predicate);
      },
      // ts-node compiles the fixture and Nest at start: over 30 s on a loaded 2-core machine.
      { description, timeoutMs: 100_000 },
    );
  const fixture = { url: `http://127.0.0.1:${port}`, child, lines, output, exited, waitForLine };
  await waitForLine((line) => line['msg'] === 'fixture-service listening', 'the fixture to listen');
  return fixture;
}
