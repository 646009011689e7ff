import {
  BusClient,
  BusContext,
  BusModule,
  BusRpcExceptionFilter,
  RedisStreamsTransport,
  RpcRemoteError,
  RpcTimeoutError,
} from '@gad/bus';
import type { Envelope } from '@gad/contracts';
import { Controller, Injectable, Module, type INestMicroservice } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { deleteKeysWithPrefix, testStack, uniqueRedisPrefix, waitFor } from '@gad/testing';
import { Redis } from 'ioredis';
import { of } from 'rxjs';
import { CapturingLogger, testEnvelope } from './bus-test-helpers';

const prefix = uniqueRedisPrefix();
const stream = 'nest:events';

@Injectable()
class Received {
  readonly events: Array<{ envelope: Envelope; stream: string }> = [];
}

@Controller()
class GeoHandler {
  constructor(private readonly received: Received) {}

  @EventPattern('incident.created')
  onIncidentCreated(@Payload() envelope: Envelope, @Ctx() ctx: BusContext): void {
    this.received.events.push({ envelope, stream: ctx.getStream() });
  }

  @MessagePattern('geo.nearest')
  async nearest(
    @Payload() data: { lon: number; lat: number },
    @Ctx() ctx: BusContext,
  ): Promise<{ units: string[]; agencyId: string }> {
    return { units: [`unit@${data.lon},${data.lat}`], agencyId: ctx.getEnvelope().agencyId };
  }

  @MessagePattern('geo.echo')
  echo(@Payload() data: unknown) {
    return of(data);
  }

  @MessagePattern('geo.fail')
  fail(@Payload() data: { kind: string }): never {
    if (data.kind === 'coded') {
      throw Object.assign(new Error('no unit in range'), { code: 'not_found' });
    }
    if (data.kind === 'rpc') {
      throw new RpcException({ code: 'invalid_area', message: 'area too large' });
    }
    if (data.kind === 'sql') {
      // What pg throws for `5e-324` into float8: its SQLSTATE is not one of our codes.
      throw Object.assign(new Error('"5e-324" is out of range for type double precision'), {
        code: '22003',
      });
    }
    throw new Error('kaput');
  }
}

@Module({
  imports: [
    BusModule.forRoot({
      redis: testStack.redisUrl,
      prefix,
      instanceId: 'caller-1',
      rpcTimeoutMs: 3_000,
      logger: new CapturingLogger(),
    }),
  ],
  controllers: [GeoHandler],
  providers: [Received],
})
class GeoTestModule {}

let app: INestMicroservice;
let client: BusClient;
const redis = new Redis(testStack.redisUrl);

beforeAll(async () => {
  const moduleRef = await Test.createTestingModule({ imports: [GeoTestModule] }).compile();
  app = moduleRef.createNestMicroservice({
    strategy: new RedisStreamsTransport({
      redis: testStack.redisUrl,
      prefix,
      service: 'geo-service',
      consumer: 'geo-1',
      streams: [stream],
      blockMs: 50,
      logger: new CapturingLogger(),
    }),
    logger: false,
  });
  app.useGlobalFilters(new BusRpcExceptionFilter());
  await app.listen();
  client = app.get(BusClient);
});

afterAll(async () => {
  await app?.close();
  await deleteKeysWithPrefix(redis, prefix);
  await redis.quit();
});

describe('RedisStreamsTransport in a Nest microservice', () => {
  it('routes an event to its @EventPattern handler with the whole envelope', async () => {
    const received = app.get(Received);
    const event = testEnvelope({ incidentId: 'i-1' }, 'incident.created');
    const unhandled = testEnvelope({}, 'unit.moved');
    await client.publish(stream, [unhandled, event]);

    await waitFor(() => received.events.length === 1, { description: 'the event handled' });
    expect(received.events[0].envelope).toEqual(event);
    expect(received.events[0].stream).toBe(stream);
    // The event without a handler is acknowledged, not dead-lettered.
    await waitFor(
      async () => Number((await redis.xpending(`${prefix}${stream}`, 'geo-service'))[0]) === 0,
      { description: 'both entries acknowledged' },
    );
    expect(await redis.xlen(`${prefix}${stream}:dlq`)).toBe(0);
  });

  it('answers an RPC from a @MessagePattern handler', async () => {
    await expect(
      client.request('geo-service', 'geo.nearest', { lon: -3.7, lat: 40.4 }, { agencyId: 'a-9' }),
    ).resolves.toEqual({ units: ['unit@-3.7,40.4'], agencyId: 'a-9' });
    await expect(client.request('geo-service', 'geo.echo', { x: [1, 2] })).resolves.toEqual({
      x: [1, 2],
    });
    const many = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        client.request<{ units: string[] }>('geo-service', 'geo.nearest', { lon: index, lat: 0 }),
      ),
    );
    expect(many.map((reply) => reply.units[0])).toEqual(
      Array.from({ length: 20 }, (_, index) => `unit@${index},0`),
    );
  });

  it('returns handler errors as RpcRemoteError with their code', async () => {
    const coded = client.request('geo-service', 'geo.fail', { kind: 'coded' });
    await expect(coded).rejects.toBeInstanceOf(RpcRemoteError);
    await expect(coded).rejects.toMatchObject({ code: 'not_found', message: 'no unit in range' });
    await expect(client.request('geo-service', 'geo.fail', { kind: 'rpc' })).rejects.toMatchObject({
      code: 'invalid_area',
      message: 'area too large',
    });
    await expect(
      client.request('geo-service', 'geo.fail', { kind: 'plain' }),
    ).rejects.toMatchObject({ code: 'internal_error', message: 'internal error' });
    await expect(client.request('geo-service', 'geo.unknown', {})).rejects.toMatchObject({
      code: 'pattern_not_found',
    });
  });

  it('never passes an internal cause (SQLSTATE, message) to the caller', async () => {
    const failure = await client
      .request('geo-service', 'geo.fail', { kind: 'sql' })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RpcRemoteError);
    expect(failure).toMatchObject({ code: 'internal_error', message: 'internal error' });
    expect(
      JSON.stringify({ ...(failure as object), message: (failure as Error).message }),
    ).not.toMatch(/22003|double precision/);
  });

  it('times out with RpcTimeoutError when no server answers', async () => {
    const call = client.request('nobody-home', 'geo.nearest', {}, { timeoutMs: 200 });
    await expect(call).rejects.toBeInstanceOf(RpcTimeoutError);
    await expect(call).rejects.toMatchObject({ service: 'nobody-home', timeoutMs: 200 });
  });
});
