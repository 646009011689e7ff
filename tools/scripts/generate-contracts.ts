/**
 * Writes the published contracts, generated from the zod schemas and registries of @gad/contracts:
 *   apps/api-gateway/openapi.json   OpenAPI 3.1 (every operation of the operation registry)
 *   docs/asyncapi.json              AsyncAPI 3.0 (Redis streams and the socket.io namespaces)
 *
 *   npm run generate:contracts            write both files
 *   npm run generate:contracts -- --check exit 1 when a committed file differs (CI, pre-commit)
 *
 * (`npm run generate:contracts` =
 *  `node -r ts-node/register/transpile-only -r tsconfig-paths/register tools/scripts/generate-contracts.ts`)
 * A unit test (apps/api-gateway/test/contracts.spec.ts) fails when the committed files drift.
 * The documents are built by @gad/contracts (`libs/contracts/src/published`), which api-gateway
 * also serves under `/docs`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { publishedContracts, renderContract } from '@gad/contracts';

const repoRoot = join(__dirname, '..', '..');

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const stale: string[] = [];
  for (const [path, document] of Object.entries(publishedContracts())) {
    const file = join(repoRoot, path);
    const text = renderContract(document);
    let current: string | undefined;
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === text) {
      console.log(`${path}: up to date`);
    } else if (check) {
      stale.push(path);
    } else {
      writeFileSync(file, text);
      console.log(`${path}: written`);
    }
  }
  if (stale.length > 0) {
    console.error(`out of date: ${stale.join(', ')}; run \`npm run generate:contracts\``);
    return 1;
  }
  return 0;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
