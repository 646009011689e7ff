// ESM face of services.cjs (the single source, shared with the e2e helper in libs/testing).
import shared from './services.cjs';

export const {
  repoRoot,
  services,
  healthPaths,
  defaults,
  findService,
  serviceEntry,
  serviceCommand,
  serviceUrls,
  serviceEnv,
} = shared;
