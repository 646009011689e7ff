import { shutdownTelemetry, startTelemetry } from '@gad/observability';
import { Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import {
  createTestDatabase,
  freePort,
  startRedisServer,
  waitFor,
  type RedisServerHandle,
  type TestDatabase,
} from '@gad/testing';
import { bootstrapService, DatabaseModule, RedisModule } from '../src';

startTelemetry({ serviceName: 'readiness-outage-it', env: { LOG_LEVEL: 'fatal' } });

/** A readiness probe gives up after 1.5 s (issue #17); readiness must answer before that. */
const PROBE_TIMEOUT_MS = 1_500;

/**
 * `/health/ready` of a service with the platform's default Redis options (as ws-gateway has) while
 * its private redis-server is stopped or frozen: 503 at once, never a probe timeout.
 */
describe('readiness during a Redis outage', () => {
  let database: TestDatabase;
  let redisServer: RedisServerHandle;
  let app: NestFastifyApplication;
  let baseUrl: string;
  let control: Redis;

  beforeAll(async () => {
    database = await createTestDatabase();
    redisServer = await startRedisServer();
    @Module({
      imports: [
        DatabaseModule.forRoot({
          url: database.url,
          schema: 'fixture',
          poolSize: 1,
          applicationName: 'readiness-outage-it',
        }),
        RedisModule.forRoot({ url: redisServer.url }),
      ],
    })
    class AppModule {}
    const port = await freePort();
    app = await bootstrapService({
      name: 'readiness-outage-it',
      module: AppModule,
      port,
      handleSignals: false,
    });
    baseUrl = `http://127.0.0.1:${port}`;
    control = new Redis(redisServer.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    control.on('error', () => undefined);
  }, 30_000);

  afterAll(async () => {
    control?.disconnect();
    await redisServer?.start().catch(() => undefined);
    await app?.close();
    await redisServer?.dispose();
    await database?.drop();
    await shutdownTelemetry();
  });

  async function probe(): Promise<{ status: number; body: Record<string, unknown>; ms: number }> {
    const started = Date.now();
    const response = await fetch(`${baseUrl}/health/ready`, {
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json()) as Record<string, unknown>;
    return { status: response.status, body, ms: Date.now() - started };
  }

  const untilReady = () =>
    waitFor(async () => (await probe()).status === 200, {
      description: 'ready with Redis back',
      timeoutMs: 15_000,
    });

  it('answers 503 before the probe times out while Redis is stopped', async () => {
    await untilReady();
    await redisServer.stop();
    try {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const reply = await probe();
        expect(reply.status).toBe(503);
        expect(reply.body).toMatchObject({
          status: 'error',
          checks: { postgres: { status: 'up' }, redis: { status: 'down' } },
        });
        expect(reply.ms).toBeLessThan(PROBE_TIMEOUT_MS);
      }
    } finally {
      await redisServer.start();
    }
    await untilReady();
  }, 30_000);

  it('answers 503 before the probe times out while Redis is frozen', async () => {
    await untilReady();
    await control.connect();
    await control.call('CLIENT', 'PAUSE', '4000', 'ALL');
    const reply = await probe();
    expect(reply.status).toBe(503);
    expect(reply.body).toMatchObject({ checks: { redis: { status: 'down' } } });
    expect(reply.ms).toBeLessThan(PROBE_TIMEOUT_MS);
    await untilReady();
  }, 30_000);
});
