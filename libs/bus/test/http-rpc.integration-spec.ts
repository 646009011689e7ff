import {
  BusClient,
  BusContext,
  BusRpcExceptionFilter,
  RedisStreamsTransport,
  RpcRemoteError,
  RpcTimeoutError,
} from '@gad/bus';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { contextFromTraceparent } from '@gad/observability';
import { deleteKeysWithPrefix, testStack, uniqueRedisPrefix, waitFor } from '@gad/testing';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { context as otelContext, trace } from '@opentelemetry/api';
import { Redis } from 'ioredis';
import { CapturingLogger } from './bus-test-helpers';

const prefix = uniqueRedisPrefix();
const token = 'test-rpc-token-0123456789abcdef-0123456789';
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

const seen = {
  slowStarted: 0,
  slowFinished: 0,
  traceparents: [] as Array<string | undefined>,
  activeTraceIds: [] as Array<string | undefined>,
};
const contextManager = new AsyncLocalStorageContextManager();

@Controller()
class ReadHandler {
  @MessagePattern('geo.nearest')
  nearest(@Payload() data: { lon: number }, @Ctx() ctx: BusContext) {
    const envelope = ctx.getEnvelope();
    seen.traceparents.push(envelope.traceparent);
    seen.activeTraceIds.push(trace.getSpanContext(otelContext.active())?.traceId);
    return { units: [`u@${data.lon}`], agencyId: envelope.agencyId, actor: envelope.actor };
  }

  @MessagePattern('geo.slow')
  async slow(@Payload() data: { ms: number }) {
    seen.slowStarted += 1;
    await new Promise((resolve) => setTimeout(resolve, data.ms));
    seen.slowFinished += 1;
    return { done: true };
  }

  @MessagePattern('geo.fail')
  fail(): never {
    throw Object.assign(new Error('no such fence'), { code: 'geofence_not_found' });
  }
}

@Module({ controllers: [ReadHandler] })
class ReadModule {}

let app: INestMicroservice;
let transport: RedisStreamsTransport;
let client: BusClient;
const redis = new Redis(testStack.redisUrl);

beforeAll(async () => {
  otelContext.setGlobalContextManager(contextManager.enable());
  const moduleRef = await Test.createTestingModule({ imports: [ReadModule] }).compile();
  transport = new RedisStreamsTransport({
    redis: testStack.redisUrl,
    prefix,
    service: 'geo-service',
    consumer: 'geo-1',
    streams: [],
    rpc: false,
    http: { port: 0, host: '127.0.0.1', token },
    logger: new CapturingLogger(),
  });
  app = moduleRef.createNestMicroservice({ strategy: transport, logger: false });
  app.useGlobalFilters(new BusRpcExceptionFilter());
  await app.listen();
  client = new BusClient({
    redis: testStack.redisUrl,
    prefix,
    instanceId: 'gateway-1',
    rpcTimeoutMs: 10_000,
    http: { urls: { 'geo-service': `http://127.0.0.1:${transport.httpPort}` }, token },
    logger: new CapturingLogger(),
  });
});

afterAll(async () => {
  await client?.close();
  await app?.close();
  await deleteKeysWithPrefix(redis, prefix);
  await redis.quit();
  otelContext.disable();
});

describe('RPC over HTTP keep-alive (ADR 0024)', () => {
  it('answers a @MessagePattern handler with the caller agency, actor and trace context', async () => {
    const reply = await otelContext.with(contextFromTraceparent(TRACEPARENT), () =>
      client.request(
        'geo-service',
        'geo.nearest',
        { lon: 7 },
        {
          agencyId: 'agency-a',
          actor: { kind: 'user', id: 'u1', roles: ['dispatcher'] },
        },
      ),
    );

    expect(reply).toEqual({
      units: ['u@7'],
      agencyId: 'agency-a',
      actor: { kind: 'user', id: 'u1', roles: ['dispatcher'] },
    });
    // The caller's trace continues in the service (same trace id).
    expect(seen.traceparents.at(-1)).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-/);
    expect(seen.activeTraceIds.at(-1)).toBe('0af7651916cd43dd8448eb211c80319c');
  });

  it('serves many concurrent calls over the pooled connections', async () => {
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        client.request<{ units: string[] }>('geo-service', 'geo.nearest', { lon: i }),
      ),
    );
    expect(replies.map((reply) => reply.units[0])).toEqual(
      Array.from({ length: 200 }, (_, i) => `u@${i}`),
    );
  });

  it('keeps remote error codes and names unknown patterns', async () => {
    await expect(client.request('geo-service', 'geo.fail', {})).rejects.toMatchObject({
      code: 'geofence_not_found',
      message: 'no such fence',
    });
    await expect(client.request('geo-service', 'geo.nope', {})).rejects.toBeInstanceOf(
      RpcRemoteError,
    );
  });

  it('gives up at the deadline and the pool keeps serving', async () => {
    const before = seen.slowStarted;
    await expect(
      client.request('geo-service', 'geo.slow', { ms: 400 }, { timeoutMs: 100 }),
    ).rejects.toBeInstanceOf(RpcTimeoutError);
    await waitFor(() => seen.slowFinished === before + 1, { description: 'the slow call ended' });
    // A later call on the pool is answered normally.
    await expect(client.request('geo-service', 'geo.nearest', { lon: 1 })).resolves.toMatchObject({
      units: ['u@1'],
    });
  });

  it('refuses callers without the token, and bad bodies, changing nothing', async () => {
    const url = `http://127.0.0.1:${transport.httpPort}/rpc/geo.nearest`;
    const unauthenticated = await fetch(url, {
      method: 'POST',
      body: '{}',
      headers: { connection: 'close' },
    });
    expect(unauthenticated.status).toBe(401);
    const wrong = await fetch(url, {
      method: 'POST',
      body: '{}',
      headers: { authorization: `Bearer ${token.replace('a', 'b')}`, connection: 'close' },
    });
    expect(wrong.status).toBe(401);
    const garbage = await fetch(url, {
      method: 'POST',
      body: 'not json',
      headers: { authorization: `Bearer ${token}`, connection: 'close' },
    });
    expect(garbage.status).toBe(400);
    await expect(client.request('geo-service', 'geo.nearest', { lon: 2 })).resolves.toMatchObject({
      units: ['u@2'],
    });
  });

  it('reports an unreachable service as rpc_send_failed', async () => {
    const offline = new BusClient({
      redis: testStack.redisUrl,
      prefix,
      instanceId: 'gateway-2',
      http: { urls: { 'geo-service': 'http://127.0.0.1:1' }, token },
      logger: new CapturingLogger(),
    });
    try {
      await expect(offline.request('geo-service', 'geo.nearest', {})).rejects.toMatchObject({
        code: 'rpc_send_failed',
      });
    } finally {
      await offline.close();
    }
  });
});
