// The published documents built from the registries: OpenAPI 3.1 for REST, AsyncAPI 3.0 for the
// streams and socket namespaces. api-gateway serves them; tools/scripts/generate-contracts.ts writes
// the committed files. Only these names are public: the helpers behind them stay in this folder.
export { buildOpenApiDocument } from './openapi.document';
export { buildAsyncApiDocument } from './asyncapi.document';
export { publishedContracts, renderContract } from './published-contracts';
export type { JsonSchema } from './json-schema';
