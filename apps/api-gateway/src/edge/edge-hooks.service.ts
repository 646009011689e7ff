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

/**
 * Fastify `onRequest` hook, the first thing a request meets (before routing to Nest, guards and
 * the database): (1) the adaptive concurrency limit of this instance (latency based,
 * {@link AdaptiveLimit}, docs/adr/0024) sheds load with 503 + Retry-After at once, before a
 * request can queue into its deadline;
 * (2) the per-IP rate limit of requests without a bearer token answers 429 + Retry-After. Both as
 * problem+json. A request with a bearer token is limited per user once its token is verified, or
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
    fastify.addHook('onRequest', (request, reply) => this.onRequest(request, reply));
  }

  private async onRequest(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<FastifyReply | undefined> {
    if (UNLIMITED.test(request.url)) {
      return;
    }
    const release = this.limiter.tryAcquire();
    if (!release) {
      shed.add(1);
      return this.refuse(request, reply, EdgeException.overloaded(SHED_RETRY_AFTER_SECONDS));
    }
    // 'close' fires once the response is finished or the client went away.
    reply.raw.once('close', () => release(DROPPED.has(reply.raw.statusCode)));
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
