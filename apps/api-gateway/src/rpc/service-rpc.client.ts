import { Inject, Injectable } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { forwardedAuditOptions } from '@gad/audit';
import { BusClient, RpcRemoteError, RpcTimeoutError } from '@gad/bus';
import {
  BrokenCircuitError,
  circuitBreaker,
  ConsecutiveBreaker,
  handleWhen,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import { CommonErrorCode, isStableErrorCode, type AccessClaims } from '@gad/contracts';
import { createLogger } from '@gad/observability';
import { DomainException } from '@gad/platform';
import type { z } from 'zod';
import { API_GATEWAY_CONFIG, type ApiGatewayConfig } from '../api-gateway.config';

/**
 * Codes with a status of their own (the common ones of `CommonErrorCode`), and failures of the bus
 * itself that the naming rules below would get wrong (`invalid_reply` is not the caller's fault).
 */
const exactStatus: Readonly<Record<string, number>> = {
  unauthenticated: 401,
  forbidden: 403,
  payload_too_large: 413,
  rate_limited: 429,
  overloaded: 503,
  upstream_timeout: 504,
  invalid_reply: 502,
  unserialisable_reply: 502,
  rpc_send_failed: 502,
};

/**
 * Maps a remote error code to the HTTP status the edge answers with, by naming convention so a
 * service's new codes need no change here: `*_forbidden` 403, `*invalid_cursor` 400,
 * `validation_failed`, `invalid_*` and `*_requires_*` 422, `*not_found` 404, `*conflict` 409;
 * anything else is the upstream's failure (502 `upstream_unavailable`, the remote code only logged).
 */
export function statusOf(code: string): number {
  const exact = exactStatus[code];
  if (exact !== undefined) {
    return exact;
  }
  if (code.endsWith('_forbidden')) {
    return 403;
  }
  if (code.endsWith('invalid_cursor')) {
    return 400;
  }
  if (code === 'validation_failed' || code.startsWith('invalid_') || code.includes('_requires_')) {
    return 422;
  }
  if (code.endsWith('not_found')) {
    return 404;
  }
  if (code.endsWith('conflict')) {
    return 409;
  }
  return 502;
}

/** Remote codes that say the service (or the way to it) failed, not the request. */
const UPSTREAM_FAILURE_CODES = new Set(['rpc_send_failed', 'overloaded', 'upstream_timeout']);

/** Whether an RPC failure counts against the service's circuit (timeouts, unreachable, overloaded). */
export function isUpstreamFailure(error: unknown): boolean {
  return (
    error instanceof RpcTimeoutError ||
    (error instanceof RpcRemoteError && UPSTREAM_FAILURE_CODES.has(error.code))
  );
}

const breakerOpened = metrics
  .getMeter('api-gateway')
  .createCounter('gad_rpc_circuit_opened_total', {
    description: 'Times the circuit to a service opened after consecutive upstream failures',
  });

/**
 * The api-gateway's port to the services behind it: request/reply over the bus (HTTP keep-alive
 * or the RPC stream, docs/adr/0024) with the caller's agency and identity, the reply validated
 * against its contract, remote errors as problem+json. One circuit breaker per service: after
 * `RPC_BREAKER_THRESHOLD` consecutive timeouts or transport failures, calls to it are refused at
 * once with 503 + Retry-After for `RPC_BREAKER_HALF_OPEN_MS`, then one probe call decides.
 */
@Injectable()
export class ServiceRpcClient {
  private readonly logger = createLogger('service-rpc');
  private readonly breakers = new Map<string, CircuitBreakerPolicy>();

  constructor(
    private readonly bus: BusClient,
    @Inject(API_GATEWAY_CONFIG) private readonly config: ApiGatewayConfig,
  ) {}

  private breakerOf(service: string): CircuitBreakerPolicy {
    let breaker = this.breakers.get(service);
    if (!breaker) {
      breaker = circuitBreaker(handleWhen(isUpstreamFailure), {
        halfOpenAfter: this.config.RPC_BREAKER_HALF_OPEN_MS ?? 5_000,
        breaker: new ConsecutiveBreaker(this.config.RPC_BREAKER_THRESHOLD ?? 10),
      });
      breaker.onBreak(() => {
        breakerOpened.add(1, { service });
        this.logger.warn({ service }, 'circuit opened: calls refused until a probe succeeds');
      });
      breaker.onReset(() => this.logger.info({ service }, 'circuit closed'));
      this.breakers.set(service, breaker);
    }
    return breaker;
  }

  async call<S extends z.ZodType>(
    service: string,
    user: AccessClaims,
    pattern: string,
    data: unknown,
    replySchema: S,
    options: {
      timeoutMs?: number;
      /**
       * The call only reads (e.g. the zone lookup of a create): the request's audit entry is not
       * built and sent along, since a read commits nothing for the service to record it with.
       */
      read?: boolean;
    } = {},
  ): Promise<z.infer<S>> {
    try {
      const reply = await this.breakerOf(service).execute(() =>
        this.bus.request<unknown>(service, pattern, data, {
          timeoutMs: options.timeoutMs ?? this.config.RPC_TIMEOUT_MS,
          agencyId: user.agencyId,
          actor: { kind: 'user', id: user.sub, roles: user.roles },
          // A change's entry is recorded by the service in the change's transaction (ADR 0021).
          ...(options.read ? {} : forwardedAuditOptions()),
        }),
      );
      return replySchema.parse(reply);
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        const retryAfter = Math.max(
          1,
          Math.ceil((this.config.RPC_BREAKER_HALF_OPEN_MS ?? 5_000) / 1_000),
        );
        throw new DomainException(
          CommonErrorCode.UpstreamUnavailable,
          503,
          `${service} is failing; retry after ${retryAfter} s`,
          { extensions: { retryAfter } },
        );
      }
      if (error instanceof RpcTimeoutError) {
        throw new DomainException('upstream_timeout', 504, `${service} did not answer in time`);
      }
      if (error instanceof RpcRemoteError) {
        const status = statusOf(error.code);
        if (status === 502 || !isStableErrorCode(error.code)) {
          // A failure the service did not name for the caller: the client sees our stable code,
          // the remote code and message go to the log (and the trace, through the cause).
          this.logger.warn(
            { service, pattern, remoteCode: error.code, remoteMessage: error.message },
            'upstream failed',
          );
          throw new DomainException(
            CommonErrorCode.UpstreamUnavailable,
            502,
            `${service} failed to answer`,
            { cause: error },
          );
        }
        throw new DomainException(error.code, status, error.message);
      }
      throw error;
    }
  }
}
