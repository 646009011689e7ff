import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import {
  ConfigError,
  loadConfig,
  serviceEnvSchema,
  type CorsSettings,
  type EnvSource,
} from '@gad/config';
import {
  createLogger,
  currentTraceId,
  getMeter,
  NestPinoLogger,
  shutdownTelemetry,
  type Logger,
} from '@gad/observability';
import { PROBLEM_CONTENT_TYPE } from '@gad/contracts';
import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { restCorsOptions } from '../cors/cors';
import { DomainException } from '../errors/domain.exception';
import { codeForStatus, toProblem } from '../errors/problem-details';
import { ProblemDetailsFilter } from '../errors/problem-details.filter';
import { ValidationException } from '../errors/validation.exception';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from '../validation/json-depth';
import { HealthModule } from '../health/health.module';
import { HealthRegistry } from '../health/health.registry';

export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

export interface BootstrapServiceOptions {
  /** Service name: logger `service` field and the `"<name> listening"` line. */
  name: string;
  /** The app's root module; `HealthModule` is added beside it. */
  module: Type<unknown> | DynamicModule;
  port: number;
  /** Default: `HOST` from the environment (127.0.0.1). */
  host?: string;
  /** Largest accepted request body (default 1 MiB); larger bodies get 413 problem+json. */
  bodyLimitBytes?: number;
  /**
   * Proxies (IPs or CIDRs) whose `X-Forwarded-For` sets `request.ip` (Fastify `trustProxy`).
   * None or empty: the peer address, forwarding headers ignored.
   */
  trustedProxies?: readonly string[];
  /** Runs after the app is created and before it listens (global pipes, guards, adapters...). */
  configure?(app: NestFastifyApplication): void | Promise<void>;
  /** Install SIGTERM/SIGINT handlers that shut down and exit the process (default true). */
  handleSignals?: boolean;
  /** Environment to read `HOST` and `SHUTDOWN_TIMEOUT_MS` from (default: the process environment). */
  env?: EnvSource;
  /** Browser origins allowed to call (`corsSettingsOf`); none or absent: no CORS headers. */
  cors?: CorsSettings;
}

const bootstrapEnvSchema = serviceEnvSchema.pick({ HOST: true, SHUTDOWN_TIMEOUT_MS: true });

@Module({})
class ServiceRootModule {}

function loadBootstrapConfig(name: string, env: EnvSource | undefined) {
  try {
    return loadConfig(name, bootstrapEnvSchema, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/**
 * Creates the Nest app on Fastify with JSON logs, problem+json errors, `x-trace-id`/`x-request-id`
 * response headers, health and metrics routes, starts listening and installs graceful shutdown.
 */
export async function bootstrapService(
  options: BootstrapServiceOptions,
): Promise<NestFastifyApplication> {
  const config = loadBootstrapConfig(options.name, options.env);
  const logger = createLogger(options.name);
  const adapter = new FastifyAdapter({
    bodyLimit: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    ...(options.trustedProxies?.length ? { trustProxy: [...options.trustedProxies] } : {}),
    logger: false,
    // Errors Fastify raises before routing (an over-long path parameter, a malformed URL) answer
    // problem+json like every other error instead of Fastify's own JSON. Their messages quote the
    // URL: the detail names the status only (`instance` is a bounded prefix of the path).
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 400;
      const { problem } = toProblem(
        new DomainException(codeForStatus(status), status, STATUS_CODES[status] ?? 'Bad Request'),
        {
          instance: request.url.split('?')[0],
          traceId: currentTraceId(),
        },
      );
      void reply
        .status(status)
        .header('content-type', `${PROBLEM_CONTENT_TYPE}; charset=utf-8`)
        .send(JSON.stringify(problem));
    },
    // Errors of the HTTP parser, before Fastify has a request (431 headers too large, 400 bad
    // request line, 408): problem+json written on the socket, as Fastify's default does with JSON.
    clientErrorHandler: (error: Error & { code?: string }, socket: Socket) => {
      writeClientError(error, socket);
    },
  });
  const root: DynamicModule = {
    module: ServiceRootModule,
    imports: [HealthModule, options.module],
  };
  const app = await NestFactory.create<NestFastifyApplication>(root, adapter, {
    logger: new NestPinoLogger(createLogger('nest')),
    abortOnError: false,
  });
  app.useGlobalFilters(new ProblemDetailsFilter(createLogger('problem-details')));
  const cors = options.cors && restCorsOptions(options.cors);
  if (cors) {
    // @fastify/cors: preflights answered before routing, auth and rate limits.
    app.enableCors(cors);
  }
  const health = app.get(HealthRegistry, { strict: false });
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onSend', async (request, reply, payload) => {
      const traceId = currentTraceId();
      if (traceId) {
        void reply.header('x-trace-id', traceId);
      }
      void reply.header('x-request-id', request.id);
      if (health.isShuttingDown) {
        // Keep-alive sockets would hold the closing server open after the in-flight answers.
        void reply.header('connection', 'close');
      }
      return payload;
    });
  // Bound the nesting of a parsed JSON body before validation, idempotency hashing or logging walk
  // it recursively (a 10,000-deep array would overflow their stacks): 422 problem+json.
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('preValidation', async (request, reply) => {
      if (request.body === null || typeof request.body !== 'object') {
        return;
      }
      if (!exceedsJsonDepth(request.body, MAX_JSON_DEPTH)) {
        return;
      }
      const { problem } = toProblem(
        new ValidationException(
          [
            {
              pointer: '/body',
              message: `nested deeper than ${MAX_JSON_DEPTH} levels`,
              code: 'too_deep',
            },
          ],
          'The request body is nested too deeply',
        ),
        { instance: request.url.split('?')[0], traceId: currentTraceId() },
      );
      return reply
        .status(problem.status)
        .header('content-type', `${PROBLEM_CONTENT_TYPE}; charset=utf-8`)
        .send(JSON.stringify(problem));
    });
  await options.configure?.(app);
  await app.listen({ port: options.port, host: options.host ?? config.HOST });
  logger.info({ url: await app.getUrl() }, `${options.name} listening`);
  if (options.handleSignals ?? true) {
    installShutdown(app, health, logger, config.SHUTDOWN_TIMEOUT_MS);
    installRejectionGuard(logger);
  }
  return app;
}

/** Status of an HTTP parser error (as Fastify's default client error handler chooses it). */
function clientErrorStatus(code: string | undefined): number {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return 431;
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return 408;
  }
  return 400;
}

function writeClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy(error);
    return;
  }
  const status = clientErrorStatus(error.code);
  const { problem } = toProblem(
    new DomainException(codeForStatus(status), status, STATUS_CODES[status] ?? 'Bad Request'),
    { traceId: currentTraceId() },
  );
  const body = JSON.stringify(problem);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Bad Request'}\r\n` +
      `Content-Type: ${PROBLEM_CONTENT_TYPE}; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

/**
 * A promise some library rejects without a handler (the socket.io sharded adapter's
 * SSUBSCRIBE/SUNSUBSCRIBE while Redis fails over, for one) would end the process under Node's
 * default `--unhandled-rejections=throw`, dropping every socket and in-flight request of the
 * instance. It is logged as an error and counted instead; the service keeps serving.
 */
function installRejectionGuard(logger: Logger): void {
  const counter = getMeter('@gad/platform').createCounter('gad_unhandled_rejections', {
    description: 'Promise rejections no code handled (logged, process kept alive)',
  });
  process.on('unhandledRejection', (reason) => {
    counter.add(1);
    logger.error({ err: reason }, 'unhandled promise rejection');
  });
}

function installShutdown(
  app: NestFastifyApplication,
  health: HealthRegistry,
  logger: Logger,
  timeoutMs: number,
): void {
  let started = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (started) {
      return;
    }
    started = true;
    logger.info({ signal, timeoutMs }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error({ signal, timeoutMs }, 'shutdown timed out; forcing exit');
      process.exit(1);
    }, timeoutMs);
    try {
      health.markShuttingDown();
      // Stop accepting connections; resolves once in-flight requests have been answered.
      await app.getHttpAdapter().close();
      // beforeApplicationShutdown / onApplicationShutdown: consumers drain, pools close.
      await app.close();
      logger.info({ signal }, 'stopped');
      await shutdownTelemetry();
      clearTimeout(deadline);
      process.exit(0);
    } catch (error) {
      logger.error({ err: error, signal }, 'shutdown failed');
      await shutdownTelemetry();
      process.exit(1);
    }
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, (received) => void shutdown(received));
  }
}
