export * from './lib/problem-error';
export * from './lib/rest-client';
export * from './lib/sockets';
