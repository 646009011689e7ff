/**
 * Semantic version of `@gad/client` (the library is consumed from source in this monorepo, so the
 * version lives here rather than in a package.json): minor for additions, major for breaking changes.
 * The REST contract's own version is `info.version` of `apps/api-gateway/openapi.json`.
 */
export const CLIENT_VERSION = '0.3.0';
