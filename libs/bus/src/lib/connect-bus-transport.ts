import type { INestApplication } from '@nestjs/common';
import { BusRpcExceptionFilter } from './bus-rpc-exception.filter';
import { RedisStreamsTransport, type RedisStreamsTransportOptions } from './redis-streams.transport';

/**
 * Attaches the Redis Streams transport to an HTTP app, so its `@EventPattern`/`@MessagePattern`
 * handlers consume `options.streams` and `gad:rpc:<service>`, with remote error codes kept in RPC
 * replies, and starts it. `app.close()` drains and stops it.
 */
export async function connectBusTransport(
  app: INestApplication,
  options: RedisStreamsTransportOptions,
): Promise<RedisStreamsTransport> {
  const transport = new RedisStreamsTransport(options);
  const microservice = app.connectMicroservice({ strategy: transport });
  microservice.useGlobalFilters(new BusRpcExceptionFilter());
  await app.startAllMicroservices();
  return transport;
}
