import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { metrics } from '@opentelemetry/api';
import { PROBLEM_CONTENT_TYPE } from '@gad/contracts';
import { createLogger, currentTraceId } from '@gad/observability';
import { toProblem } from '@gad/platform';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { API_GATEWAY_CONFIG, type ApiGatewayConfig } from '../api-gateway.config';
import { AdaptiveLimit } from './adaptive-limit';
import { EdgeException } from './edge.exception';
import { carriesBearerToken, RateLimitService } from './rate-limit.service';

/** Paths the edge never limits (probes and scrapes must see the truth when saturated). */
const UNLIMITED = /^\/(health\/|metrics$|metrics\?)/;
/**
 * Token refresh is limited per session by the auth service (and per IP only when the token is
 * not valid), never per IP here: devices behind one address reconnecting after an outage must
 * get fresh tokens, or they stay offline.
 */
const PER_SESSION = /^\/v1\/auth\/refresh(\?|$)/;
const SHED_RETRY_AFTER_SECONDS = 1;

const meter = metrics.getMeter('api-gateway');
const shed = meter.createCounter('gad_http_shed_total', {
  description: 'Requests refused with 503 because too many were in flight',
});
/** Upstream statuses that say a request waited too long behind us: the limit backs off. */
const DROPPED = new Set([502, 504]);
/** The one refusal of the concurrency limit (built once: an exception captures a stack). */
const OVERLOADED = EdgeException.overloaded(SHED_RETRY_AFTER_SECONDS);
const PROBLEM_JSON = `${PROBLEM_CONTENT_TYPE}; charset=utf-8`;
const REQUEST_ID = /^[\x21-\x7e]{1,200}$/;

/**
 * The edge, before routing to Nest, guards and the database: (1) the adaptive concurrency limit of
 * this instance (latency based, {@link AdaptiveLimit}, docs/adr/0024 and 0030) sheds load with
 * 503 + Retry-After at once, before a request can queue into its deadline; it sits in front of the
 * HTTP server's `request` event, so a refusal costs the HTTP parse and one write, without Fastify's
 * request and reply, routing, hooks or the http instrumentation's span and metrics (counted by
 * `gad_http_shed_total`); (2) a Fastify `onRequest` hook: the per-IP rate limit of requests without
 * a bearer token answers 429 + Retry-After. Both as problem+json. A request with a bearer token is limited per user once its token is verified, or
 * per IP when it is not (GatewayAuthGuard): one client hammering from an address shared with
 * others (a dispatch centre behind one NAT) spends its own bucket, not theirs.
 */
@Injectable()
export class EdgeHooks implements OnModuleInit {
  private readonly logger = createLogger('edge');
  private readonly limiter: AdaptiveLimit;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly rateLimits: RateLimitService,
    @Inject(API_GATEWAY_CONFIG) config: ApiGatewayConfig,
  ) {
    this.limiter = new AdaptiveLimit({
      initial: config.CONCURRENCY_LIMIT_INITIAL,
      min: Math.min(config.CONCURRENCY_LIMIT_MIN, config.MAX_IN_FLIGHT_REQUESTS),
      max: config.MAX_IN_FLIGHT_REQUESTS,
    });
    meter
      .createObservableGauge('gad_http_in_flight', { description: 'Requests in flight' })
      .addCallback((result) => result.observe(this.limiter.inFlight));
    meter
      .createObservableGauge('gad_http_concurrency_limit', {
        description: 'Adaptive limit of requests in flight (beyond it: 503)',
      })
      .addCallback((result) => result.observe(this.limiter.limit));
  }

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    this.limitBeforeDispatch(fastify.server);
    fastify.addHook('onRequest', (request, reply) => this.onRequest(request, reply));
  }

  /**
   * Puts the concurrency limit in front of the server's `request` event (an own `emit` of this
   * server, over the prototype's, which the http instrumentation wraps): what it refuses never
   * reaches Fastify or the instrumentation, what it admits goes on unchanged.
   */
  private limitBeforeDispatch(server: Server): void {
    const limiter = this.limiter;
    const emit = server.emit;
    server.emit = function emitBehindLimit(
      this: Server,
      event: string | symbol,
      ...args: unknown[]
    ): boolean {
      if (event === 'request') {
        const [request, response] = args as [IncomingMessage, ServerResponse];
        if (!UNLIMITED.test(request.url ?? '')) {
          const release = limiter.tryAcquire();
          if (!release) {
            shed.add(1);
            try {
              refuseOverloaded(request, response);
            } catch {
              // Never let a refusal throw into the HTTP parser: drop the connection instead.
              response.destroy();
            }
            return true;
          }
          // 'close' fires once the response is finished or the client went away.
          response.once('close', () => release(DROPPED.has(response.statusCode)));
        }
      }
      return Reflect.apply(emit, this, [event, ...args]) as boolean;
    } as Server['emit'];
  }

  private async onRequest(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<FastifyReply | undefined> {
    if (UNLIMITED.test(request.url)) {
      return;
    }
    if (request.method === 'POST' && PER_SESSION.test(request.url)) {
      return;
    }
    if (carriesBearerToken(request.headers.authorization)) {
      return;
    }
    let decision;
    try {
      decision = await this.rateLimits.consumeIp(request.ip);
    } catch (error) {
      // Neither Redis nor the insurance limiter answered: serve rather than refuse everyone.
      this.logger.warn({ err: error }, 'ip rate limit unavailable');
      return;
    }
    if (!decision.allowed) {
      return this.refuse(request, reply, EdgeException.rateLimited(decision.retryAfterSeconds));
    }
  }

  private refuse(request: FastifyRequest, reply: FastifyReply, error: EdgeException): FastifyReply {
    const { problem } = toProblem(error, {
      instance: request.url.split('?')[0],
      traceId: currentTraceId(),
    });
    return reply
      .status(problem.status)
      .header('retry-after', String(problem['retryAfter'] ?? 1))
      .header('content-type', `${PROBLEM_CONTENT_TYPE}; charset=utf-8`)
      .send(JSON.stringify(problem));
  }
}

/**
 * 503 `overloaded` problem+json with Retry-After, written straight on the response (no span: the
 * request never reached the instrumentation). An unread request body is discarded by Node once
 * the response is finished, so the connection stays usable.
 */
function refuseOverloaded(request: IncomingMessage, response: ServerResponse): void {
  const { problem } = toProblem(OVERLOADED, { instance: (request.url ?? '/').split('?')[0] });
  const body = JSON.stringify(problem);
  const requestId = request.headers['x-request-id'];
  response.writeHead(503, {
    'content-type': PROBLEM_JSON,
    'content-length': Buffer.byteLength(body),
    'retry-after': String(SHED_RETRY_AFTER_SECONDS),
    // The caller's id when it is a plain token (as Fastify would echo it), else a fresh one.
    'x-request-id':
      typeof requestId === 'string' && REQUEST_ID.test(requestId) ? requestId : randomUUID(),
  });
  response.end(body);
}
