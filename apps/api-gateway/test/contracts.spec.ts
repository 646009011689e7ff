import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual, promisify } from 'node:util';
import { Parser } from '@asyncapi/parser';
import { EventSchemas, operations, publishedContracts, renderContract } from '@gad/contracts';

const run = promisify(execFile);
const repoRoot = join(__dirname, '..', '..', '..');

/** The published contracts: committed, valid, and generated from the code as it is now. */
describe('published contracts (OpenAPI 3.1 and AsyncAPI 3.0)', () => {
  const generated = publishedContracts();
  const openapi = generated['apps/api-gateway/openapi.json'] as {
    paths: Record<string, Record<string, { operationId: string }>>;
  };
  const asyncapi = generated['docs/asyncapi.json'] as {
    components: { messages: Record<string, { name: string; title?: string }> };
  };
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gad-contracts-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(Object.keys(generated))('%s is committed as generated from the code', (path) => {
    let committed: unknown;
    try {
      committed = JSON.parse(readFileSync(join(repoRoot, path), 'utf8'));
    } catch {
      committed = undefined;
    }
    // Compared as JSON values, so reformatting the file is not drift.
    if (!isDeepStrictEqual(committed, JSON.parse(renderContract(generated[path])))) {
      throw new Error(
        `${path} differs from the contracts in code: run \`npm run generate:contracts\` ` +
          '(node -r ts-node/register/transpile-only -r tsconfig-paths/register ' +
          'tools/scripts/generate-contracts.ts) and commit the result',
      );
    }
  });

  it('documents every operation of the registry at its method and path', () => {
    for (const operation of Object.values(operations)) {
      expect(openapi.paths[operation.path]?.[operation.method.toLowerCase()]?.operationId).toBe(
        operation.operationId,
      );
    }
  });

  it('documents every event type and version of the event registry', () => {
    const documented = new Set(
      Object.values(asyncapi.components.messages).map((message) => message.title),
    );
    for (const [type, versions] of Object.entries(EventSchemas)) {
      for (const version of Object.keys(versions)) {
        expect(documented).toContain(`${type} v${version}`);
      }
    }
  });

  it('the OpenAPI document passes redocly lint without errors or warnings', async () => {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, renderContract(openapi));
    const cli = join(repoRoot, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');
    const result = await run(process.execPath, [cli, 'lint', file, '--format', 'json'], {
      cwd: dir,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    }).catch((error: { stdout?: string; stderr?: string }) => error);
    const report = JSON.parse(result.stdout ?? '{}') as {
      totals?: { errors: number; warnings: number };
      problems?: { ruleId: string; message: string; location?: { pointer?: string }[] }[];
    };
    const problems = (report.problems ?? []).map(
      (problem) => `${problem.ruleId} ${problem.location?.[0]?.pointer ?? ''}: ${problem.message}`,
    );
    expect(problems).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 30_000);

  it('the AsyncAPI document parses with @asyncapi/parser without errors or warnings', async () => {
    const { document, diagnostics } = await new Parser().parse(renderContract(asyncapi));
    // Severity 0 = error, 1 = warning (2 = information, e.g. "3.1.0 exists").
    const problems = diagnostics
      .filter((diagnostic) => diagnostic.severity <= 1)
      .map((diagnostic) => `${diagnostic.path.join('/')}: ${diagnostic.message}`);
    expect(problems).toEqual([]);
    expect(
      document
        ?.channels()
        .all()
        .map((channel) => channel.address()),
    ).toEqual(expect.arrayContaining(['gad:dispatch:events', '/dispatch', '/field']));
  }, 30_000);
});
