import { buildAsyncApiDocument } from './asyncapi.document';
import { buildOpenApiDocument } from './openapi.document';

/**
 * The committed contract files (repository-relative path → document), written by
 * `npm run generate:contracts` (tools/scripts/generate-contracts.ts) and checked for drift by
 * `apps/api-gateway/test/contracts.spec.ts`. api-gateway serves the same documents under `/docs`.
 */
export function publishedContracts(): Record<string, unknown> {
  return {
    'apps/api-gateway/openapi.json': buildOpenApiDocument(),
    'docs/asyncapi.json': buildAsyncApiDocument(),
  };
}

/** How a contract file is written: 2-space JSON with a final newline. */
export const renderContract = (document: unknown): string =>
  `${JSON.stringify(document, null, 2)}\n`;
