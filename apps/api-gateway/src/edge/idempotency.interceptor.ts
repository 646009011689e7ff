import { createHash, randomUUID } from 'node:crypto';
import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AccessClaims, HttpOperation } from '@gad/contracts';
import { createLogger } from '@gad/observability';
import { HTTP_OPERATION_KEY } from '@gad/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { defer, from, of, type Observable } from 'rxjs';
import { catchError, mergeMap } from 'rxjs/operators';
import { EdgeException } from './edge.exception';
import { IdempotencyStore, type IdempotencyBegin } from './idempotency.store';

const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;

const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

/** JSON with object keys sorted, so equal bodies hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

type Request = FastifyRequest & { user?: AccessClaims };

/**
 * Honours `Idempotency-Key` on operations declared `idempotent: true` in the registry: the same key
 * with the same request replays the first response (`Idempotent-Replayed: true`); with a different
 * request, 422; while the first is still running, 409. Only successful responses are kept; a
 * request that failed, whatever failed (the handler, or Redis while claiming the key), frees its
 * key, so the retry a 503 asks for is served.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly logger = createLogger('idempotency');

  constructor(
    private readonly reflector: Reflector,
    private readonly store: IdempotencyStore,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') {
      return next.handle();
    }
    const operation = this.reflector.get<HttpOperation | undefined>(
      HTTP_OPERATION_KEY,
      context.getHandler(),
    );
    const request = context.switchToHttp().getRequest<Request>();
    const header = request.headers['idempotency-key'];
    if (!operation?.idempotent || header === undefined || !request.user) {
      return next.handle();
    }
    if (typeof header !== 'string' || !KEY_FORMAT.test(header)) {
      throw EdgeException.idempotencyKeyInvalid();
    }
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const user = request.user;
    const key = `idem:${user.agencyId}:${user.sub}:${sha256(header)}`;
    const fingerprint = sha256(
      `${operation.operationId}\n${canonicalJson(request.params ?? {})}\n${canonicalJson(request.body ?? null)}`,
    );
    const owner = randomUUID();
    return from(this.begin(key, fingerprint, owner, reply)).pipe(
      mergeMap((begun) => {
        switch (begun.kind) {
          case 'mismatch':
            throw EdgeException.idempotencyKeyReused();
          case 'in_progress':
            throw EdgeException.idempotencyInProgress();
          case 'replay':
            void reply.status(begun.status).header('idempotent-replayed', 'true');
            return of(begun.body === null ? undefined : begun.body);
          case 'started':
            return next.handle().pipe(
              mergeMap((body: unknown) =>
                defer(async () => {
                  await this.store
                    .complete(key, fingerprint, operation.success.status, body)
                    .catch((error: unknown) =>
                      this.logger.warn({ err: error }, 'idempotent response not stored'),
                    );
                  return body;
                }),
              ),
              catchError((error: unknown) =>
                defer(async () => {
                  await this.store.abandon(key, owner);
                  throw error;
                }),
              ),
            );
        }
      }),
    );
  }

  private async begin(
    key: string,
    fingerprint: string,
    owner: string,
    reply: FastifyReply,
  ): Promise<IdempotencyBegin> {
    try {
      return await this.store.begin(key, fingerprint, owner);
    } catch (error) {
      this.logger.warn({ err: error }, 'idempotency store unavailable');
      // The claim may still land once Redis answers: free it, or the retry we ask for is refused.
      await this.store.abandon(key, owner);
      void reply.header('retry-after', '1');
      throw EdgeException.idempotencyUnavailable();
    }
  }
}
