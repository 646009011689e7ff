import type { INestApplication, NestInterceptor } from '@nestjs/common';
import type { NestMicroservice } from '@nestjs/microservices';
import { BusRpcExceptionFilter } from './bus-rpc-exception.filter';
import {
  RedisStreamsTransport,
  type RedisStreamsTransportOptions,
} from './redis-streams.transport';

/**
 * Attaches the Redis Streams transport to an HTTP app, so its `@EventPattern`/`@MessagePattern`
 * handlers consume `options.streams` and `gad:rpc:<service>`, with remote error codes kept in RPC
 * replies, and starts it. `app.close()` drains and stops it.
 *
 * The microservice's listeners are registered after the filter (`deferInitialization`), so the
 * filter really wraps the handlers; the app's own lifecycle hooks already ran (or run) once for the
 * shared container, so the microservice must not call them again.
 */
export async function connectBusTransport(
  app: INestApplication,
  options: RedisStreamsTransportOptions,
  /**
   * Interceptors of every handler of the transport: the app's `APP_INTERCEPTOR`s do not reach a
   * connected microservice (e.g. `AuditInterceptor`, which records the audit entry a forwarded
   * change carries in its transaction; docs/adr/0021).
   */
  interceptors: NestInterceptor[] = [],
): Promise<RedisStreamsTransport> {
  const transport = new RedisStreamsTransport(options);
  const microservice = app.connectMicroservice(
    { strategy: transport },
    { deferInitialization: true },
  ) as NestMicroservice;
  microservice.useGlobalFilters(new BusRpcExceptionFilter());
  if (interceptors.length > 0) {
    microservice.useGlobalInterceptors(...interceptors);
  }
  microservice.setIsInitHookCalled(true);
  await app.startAllMicroservices();
  return transport;
}
