export * from './lib/problem-error';
export * from './lib/rest-client';
export * from './lib/retry';
export * from './lib/sockets';
export * from './lib/version';
