export * from './lib/wait-for';
export * from './lib/free-port';
export * from './lib/stack-env';
export * from './lib/test-database';
export * from './lib/redis-server';
export * from './lib/service-process';
export * from './lib/redis-cluster';
export * from './lib/audit-queue';
