export * from './lib/load-config';
export * from './lib/env-schemas';
export * from './lib/production-rules';
export * from './lib/services';
