import {
  BusClient,
  BusContext,
  BusRpcExceptionFilter,
  PubSubRpcKeys,
  RedisStreamsTransport,
  RpcRemoteError,
  RpcTimeoutError,
} from '@gad/bus';
import { uuidv7, type RpcAudit } from '@gad/contracts';
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
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const contextManager = new AsyncLocalStorageContextManager();

/** What the handlers saw, per serving instance. */
const seen = {
  byInstance: new Map<string, number>(),
  traceparents: [] as Array<string | undefined>,
  activeTraceIds: [] as Array<string | undefined>,
  slowFinished: 0,
};

@Controller()
class ReadHandler {
  @MessagePattern('geo.nearest')
  nearest(@Payload() data: { lon: number }, @Ctx() ctx: BusContext) {
    const envelope = ctx.getEnvelope();
    const consumer = ctx.getDelivery().consumer;
    seen.byInstance.set(consumer, (seen.byInstance.get(consumer) ?? 0) + 1);
    seen.traceparents.push(envelope.traceparent);
    seen.activeTraceIds.push(trace.getSpanContext(otelContext.active())?.traceId);
    return { units: [`u@${data.lon}`], agencyId: envelope.agencyId, actor: envelope.actor };
  }

  @MessagePattern('geo.slow')
  async slow(@Payload() data: { ms: number }) {
    await new Promise((resolve) => setTimeout(resolve, data.ms));
    seen.slowFinished += 1;
    return { done: true };
  }

  /** Marks the request's audit entry recorded when asked to, as the audit interceptor does. */
  @MessagePattern('geo.audited')
  audited(@Payload() data: { record: boolean }, @Ctx() ctx: BusContext) {
    const audit = ctx.getEnvelope().audit;
    if (audit && data.record) {
      ctx.markAuditRecorded(audit.entry.id);
    }
    return { carried: audit?.entry.id ?? null };
  }

  @MessagePattern('geo.fail')
  fail(): never {
    throw Object.assign(new Error('no such fence'), { code: 'geofence_not_found' });
  }
}

@Module({ controllers: [ReadHandler] })
class ReadModule {}

async function startInstance(consumer: string, pubsub = true): Promise<INestMicroservice> {
  const moduleRef = await Test.createTestingModule({ imports: [ReadModule] }).compile();
  const app = moduleRef.createNestMicroservice({
    strategy: new RedisStreamsTransport({
      redis: testStack.redisUrl,
      prefix,
      service: 'geo-service',
      consumer,
      streams: [],
      rpc: true,
      pubsub,
      blockMs: 50,
      logger: new CapturingLogger(),
    }),
    logger: false,
  });
  app.useGlobalFilters(new BusRpcExceptionFilter());
  await app.listen();
  return app;
}

const apps: INestMicroservice[] = [];
let client: BusClient;
const redis = new Redis(testStack.redisUrl);

beforeAll(async () => {
  otelContext.setGlobalContextManager(contextManager.enable());
  apps.push(await startInstance('geo-1'), await startInstance('geo-2'));
  client = new BusClient({
    redis: testStack.redisUrl,
    prefix,
    instanceId: 'gateway-1',
    rpcTimeoutMs: 10_000,
    pubsubRpc: true,
    logger: new CapturingLogger(),
  });
});

afterAll(async () => {
  await client?.close();
  for (const app of apps) {
    await app.close();
  }
  await deleteKeysWithPrefix(redis, prefix);
  await redis.quit();
  otelContext.disable();
});

/** A request's audit entry, as api-gateway forwards it with a change (ADR 0021). */
function forwardedAudit(): RpcAudit {
  return {
    entry: {
      id: uuidv7(),
      occurredAt: new Date().toISOString(),
      agencyId: 'agency-a',
      actor: { kind: 'user', id: 'u1' },
      service: 'api-gateway',
      action: 'geofence.create',
      outcome: 'success',
    },
    captureResult: true,
    idParam: 'id',
  };
}

/** Calls `geo.audited` with an entry; the ids the reply confirmed as recorded. */
async function callAudited(record: boolean): Promise<{ sent: string; confirmed: string[] }> {
  const audit = forwardedAudit();
  const confirmed: string[] = [];
  const reply = await client.request<{ carried: string | null }>(
    'geo-service',
    'geo.audited',
    { record },
    { audit, onAuditRecorded: (id) => confirmed.push(id) },
  );
  expect(reply.carried).toBe(audit.entry.id);
  return { sent: audit.entry.id, confirmed };
}

describe('RPC over Redis pub/sub (ADR 0024)', () => {
  it('answers with the caller agency, actor and trace context, without touching the stream', async () => {
    const reply = await otelContext.with(contextFromTraceparent(TRACEPARENT), () =>
      client.request(
        'geo-service',
        'geo.nearest',
        { lon: 7 },
        { agencyId: 'agency-a', actor: { kind: 'user', id: 'u1', roles: ['dispatcher'] } },
      ),
    );

    expect(reply).toEqual({
      units: ['u@7'],
      agencyId: 'agency-a',
      actor: { kind: 'user', id: 'u1', roles: ['dispatcher'] },
    });
    expect(seen.traceparents.at(-1)).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-/);
    expect(seen.activeTraceIds.at(-1)).toBe('0af7651916cd43dd8448eb211c80319c');
    // The service's RPC stream (created empty with its consumer group) got no request.
    const [stream] = await redis.keys(`${prefix}*gad:rpc:geo-service`);
    expect(stream ? await redis.xlen(stream) : 0).toBe(0);
  });

  it('spreads concurrent calls over the live instances', async () => {
    seen.byInstance.clear();
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        client.request<{ units: string[] }>('geo-service', 'geo.nearest', { lon: i }),
      ),
    );
    expect(replies.map((reply) => reply.units[0])).toEqual(
      Array.from({ length: 200 }, (_, i) => `u@${i}`),
    );
    expect(seen.byInstance.get('geo-1')).toBeGreaterThan(0);
    expect(seen.byInstance.get('geo-2')).toBeGreaterThan(0);
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

  it('gives up at the deadline, and later calls are answered', async () => {
    const before = seen.slowFinished;
    await expect(
      client.request('geo-service', 'geo.slow', { ms: 400 }, { timeoutMs: 100 }),
    ).rejects.toBeInstanceOf(RpcTimeoutError);
    await waitFor(() => seen.slowFinished > before, { description: 'the slow call ended' });
    await expect(client.request('geo-service', 'geo.nearest', { lon: 1 })).resolves.toMatchObject({
      units: ['u@1'],
    });
  });

  it('carries a forwarded audit entry and tells the caller only when the handler recorded it', async () => {
    const recorded = await callAudited(true);
    expect(recorded.confirmed).toEqual([recorded.sent]);
    const notRecorded = await callAudited(false);
    expect(notRecorded.confirmed).toEqual([]);
  });

  it('moves on from an instance that has gone, and falls back to the stream when none serves pub/sub', async () => {
    // geo-2 stops: its heartbeat entry stays until it expires, but PUBLISH finds nobody there.
    const keys = new PubSubRpcKeys(prefix);
    await apps[1]?.close();
    apps.splice(1, 1);
    await redis.zadd(keys.instances('geo-service'), Date.now(), 'geo-2');
    seen.byInstance.clear();
    for (let i = 0; i < 10; i += 1) {
      await expect(client.request('geo-service', 'geo.nearest', { lon: i })).resolves.toBeDefined();
    }
    expect([...seen.byInstance.keys()]).toEqual(['geo-1']);

    // Only a stream-only instance left: calls still succeed, over the stream.
    await apps[0]?.close();
    apps.splice(0, 1);
    apps.push(await startInstance('geo-3', false));
    await redis.del(keys.instances('geo-service'));
    await expect(client.request('geo-service', 'geo.nearest', { lon: 3 })).resolves.toMatchObject({
      units: ['u@3'],
    });
    expect(seen.byInstance.get('geo-3')).toBe(1);

    // Over the stream too, the entry travels in the envelope and its recording comes back.
    const recorded = await callAudited(true);
    expect(recorded.confirmed).toEqual([recorded.sent]);
    expect((await callAudited(false)).confirmed).toEqual([]);
  });
});
