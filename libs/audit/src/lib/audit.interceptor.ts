import {
  Inject,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import {
  BusContext,
  runInTransaction,
  withTransactionObserver,
  type TransactionObserver,
} from '@gad/bus';
import { uuidv7, type Actor, type AuditOutcome, type RpcAudit } from '@gad/contracts';
import { createLogger } from '@gad/observability';
import { Observable, from, throwError } from 'rxjs';
import { catchError, concatMap, mergeMap } from 'rxjs/operators';
import { requestAuditScope, type RequestAuditScope } from './audit-scope';
import { AUDITED_METADATA, type AuditedOptions } from './audited.decorator';
import { AuditRecorder, type AuditRecordInput } from './audit-recorder.service';

/** The authenticated caller an auth guard puts on `request.user` (HTTP) or `socket.data.user`. */
export interface AuditUser {
  sub: string;
  agencyId: string;
  roles?: string[];
}

/** Chain used for entries without an authenticated agency (e.g. anonymous requests). */
export const UNSCOPED_AGENCY = '_unscoped';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const VERB: Record<string, string> = {
  POST: 'create',
  PUT: 'update',
  PATCH: 'update',
  DELETE: 'delete',
};

/** The parts of a Fastify/Express request the audit trail reads. */
export interface HttpRequestLike {
  method?: string;
  url?: string;
  ip?: string;
  headers?: Record<string, string | string[] | undefined>;
  params?: Record<string, string | undefined>;
  body?: unknown;
  user?: AuditUser;
  routeOptions?: { url?: string };
  route?: { path?: string };
  socket?: { remoteAddress?: string };
}

interface SocketLike {
  data?: { user?: AuditUser };
  user?: AuditUser;
  handshake?: { address?: string; headers?: Record<string, string | string[] | undefined> };
}

interface Pending {
  base: Omit<AuditRecordInput, 'outcome'>;
  captureResult: boolean;
  idParam: string;
  /** A change (mutating request or socket command): its entry goes into its transaction. */
  mutating: boolean;
}

const header = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;

/**
 * Records every mutating HTTP request (POST/PUT/PATCH/DELETE), every `@Audited` handler and every
 * socket command after it finishes: success, `denied` (401/403) or `failed` with the reason. Bound
 * to exactly the handlers `needsAuditInterceptor` selects (`AuditModule.forRoot({ interceptAudited:
 * true })`, docs/adr/0040), to a gateway with `@UseInterceptors`, or globally (`APP_INTERCEPTOR`).
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  private readonly logger = createLogger('audit-interceptor');

  constructor(
    @Inject(AuditRecorder) private readonly recorder: AuditRecorder,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const options = this.reflector.getAllAndOverride<AuditedOptions | undefined>(AUDITED_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (context.getType() === 'rpc') {
      const forwarded = this.fromRpc(context);
      // Events and requests without an entry to record: nothing to do here.
      return forwarded ? this.recordForwarded(forwarded.ctx, forwarded.audit, next) : next.handle();
    }
    const pending = options?.skip
      ? undefined
      : context.getType() === 'http'
        ? this.fromHttp(context, options)
        : context.getType() === 'ws'
          ? this.fromSocket(context, options)
          : undefined;
    if (!pending) {
      // Handlers that record their own entries (login, platform routes...) answer only once those
      // entries are in the outbox, too.
      return this.awaitingOwnRecords(next);
    }
    // One id for the request's entry: a retried transaction writes the same entry again.
    const id = uuidv7();
    const scope: RequestAuditScope = { writes: new Set() };
    let written = false;
    let inAttempt = false;
    const observer: TransactionObserver = pending.mutating
      ? {
          // The entry commits with the first transaction of the request (docs/adr/0021).
          beforeCommit: (tx, result) => {
            inAttempt = false;
            if (written) {
              return;
            }
            const input = this.inputOf(pending, scope, id, 'success', result);
            try {
              runInTransaction(tx, () => this.recorder.record(input));
              inAttempt = true;
            } catch (error) {
              this.logInvalid(input, error);
            }
          },
          afterCommit: () => {
            written ||= inAttempt;
          },
        }
      : {};
    if (pending.mutating) {
      // A change another service makes over RPC carries this entry and commits it (ADR 0021).
      scope.forward = () => {
        if (written || done) {
          return undefined;
        }
        const input = this.inputOf(pending, scope, id, 'success', undefined);
        try {
          const entry = this.recorder.entryOf(input) as RpcAudit['entry'];
          return { entry, captureResult: pending.captureResult, idParam: pending.idParam };
        } catch (error) {
          this.logInvalid(input, error);
          return undefined;
        }
      };
      scope.forwarded = () => {
        written = true;
      };
    }
    let done = false;
    const finish = async (outcome: AuditOutcome, result?: unknown, reason?: string) => {
      // Entries the handler recorded outside a transaction are durable before the answer too.
      await Promise.all([...scope.writes]);
      if (done || written) {
        return;
      }
      done = true;
      const input = this.inputOf(pending, scope, id, outcome, result, reason);
      try {
        // Durable before the caller is answered: the outbox, or the queue (ws-gateway).
        await this.recorder.write(input);
      } catch (error) {
        this.logInvalid(input, error);
      }
    };
    const handled = new Observable<unknown>((subscriber) =>
      requestAuditScope.run(scope, () =>
        withTransactionObserver(observer, () => next.handle().subscribe(subscriber)),
      ),
    );
    return handled.pipe(
      concatMap(async (value) => {
        await finish('success', value);
        return value;
      }),
      catchError((error: unknown) => {
        const status = statusOf(error);
        return from(
          finish(
            status === 401 || status === 403 ? 'denied' : 'failed',
            undefined,
            reasonOf(error, status),
          ),
        ).pipe(mergeMap(() => throwError(() => error)));
      }),
    );
  }

  /** The bus context and forwarded entry of an RPC request that carries one (envelope `audit`). */
  private fromRpc(context: ExecutionContext): { ctx: BusContext; audit: RpcAudit } | undefined {
    const ctx = context.switchToRpc().getContext<unknown>();
    if (!(ctx instanceof BusContext) || !this.recorder.recordsInTransactions) {
      return undefined;
    }
    const audit = ctx.getEnvelope().audit;
    return audit ? { ctx, audit } : undefined;
  }

  /**
   * Serving side of a change forwarded over RPC: the caller's entry commits with the first unit of
   * work the handler commits, completed with the before and after images (`describeChange`, or the
   * work's result as `after`), and the reply says so. A handler that commits nothing (a refusal, a
   * failure, a read) records nothing: the caller records the request's outcome itself.
   */
  private recordForwarded(
    ctx: BusContext,
    audit: RpcAudit,
    next: CallHandler,
  ): Observable<unknown> {
    const scope: RequestAuditScope = { writes: new Set() };
    const { entry } = audit;
    const pending: Pending = {
      base: {
        ...entry,
        occurredAt: new Date(entry.occurredAt),
        // Redacted already; the images of the change are completed here.
        changes: undefined,
      },
      captureResult: audit.captureResult,
      idParam: audit.idParam,
      mutating: true,
    };
    if (entry.changes) {
      scope.changes = entry.changes;
    }
    let recorded = false;
    let inAttempt = false;
    const observer: TransactionObserver = {
      beforeCommit: (tx, result) => {
        inAttempt = false;
        if (recorded) {
          return;
        }
        const input = this.inputOf(pending, scope, entry.id, 'success', result);
        try {
          runInTransaction(tx, () => this.recorder.record(input));
          inAttempt = true;
        } catch (error) {
          this.logInvalid(input, error);
        }
      },
      afterCommit: () => {
        if (inAttempt && !recorded) {
          recorded = true;
          ctx.markAuditRecorded(entry.id);
        }
      },
    };
    const settled = () => Promise.all([...scope.writes]);
    return new Observable<unknown>((subscriber) =>
      requestAuditScope.run(scope, () =>
        withTransactionObserver(observer, () => next.handle().subscribe(subscriber)),
      ),
    ).pipe(
      concatMap(async (value) => {
        await settled();
        return value;
      }),
      catchError((error: unknown) => from(settled()).pipe(mergeMap(() => throwError(() => error)))),
    );
  }

  private awaitingOwnRecords(next: CallHandler): Observable<unknown> {
    const scope: RequestAuditScope = { writes: new Set() };
    const settled = () => Promise.all([...scope.writes]);
    return new Observable<unknown>((subscriber) =>
      requestAuditScope.run(scope, () => next.handle().subscribe(subscriber)),
    ).pipe(
      concatMap(async (value) => {
        await settled();
        return value;
      }),
      catchError((error: unknown) => from(settled()).pipe(mergeMap(() => throwError(() => error)))),
    );
  }

  private fromHttp(
    context: ExecutionContext,
    options: AuditedOptions | undefined,
  ): Pending | undefined {
    const request = context.switchToHttp().getRequest<HttpRequestLike>();
    const method = (request.method ?? 'GET').toUpperCase();
    if (!MUTATING.has(method) && !options) {
      return undefined;
    }
    const route =
      request.routeOptions?.url ?? request.route?.path ?? request.url?.split('?')[0] ?? '';
    const objectType = options?.objectType;
    const verb = VERB[method] ?? 'read';
    const idParam = options?.idParam ?? 'id';
    const objectId = request.params?.[idParam];
    return {
      base: {
        ...httpAuditContext(request),
        action: options?.action ?? (objectType ? `${objectType}.${verb}` : `http.${verb}`),
        ...(objectType
          ? { object: { type: objectType, ...(objectId ? { id: objectId } : {}) } }
          : {}),
        details: { method, route },
      },
      captureResult:
        options?.captureResult ?? (method === 'POST' || method === 'PUT' || method === 'PATCH'),
      idParam,
      mutating: MUTATING.has(method),
    };
  }

  private fromSocket(context: ExecutionContext, options: AuditedOptions | undefined): Pending {
    const ws = context.switchToWs();
    const client = ws.getClient<SocketLike>();
    const pattern = String(ws.getPattern());
    const data = ws.getData<unknown>();
    const idParam = options?.idParam ?? 'id';
    const objectId =
      isRecord(data) && typeof data[idParam] === 'string' ? data[idParam] : undefined;
    const objectType = options?.objectType;
    return {
      base: {
        ...who(client.data?.user ?? client.user),
        action: options?.action ?? `socket.${pattern}`,
        ...(objectType
          ? { object: { type: objectType, ...(objectId ? { id: objectId } : {}) } }
          : {}),
        source: {
          ip: client.handshake?.address,
          userAgent: header(client.handshake?.headers?.['user-agent']),
        },
        traceId: traceIdOf(
          isRecord(data) && typeof data['traceparent'] === 'string'
            ? data['traceparent']
            : undefined,
        ),
        details: { event: pattern },
      },
      captureResult: options?.captureResult ?? false,
      idParam,
      mutating: true,
    };
  }

  private inputOf(
    pending: Pending,
    scope: RequestAuditScope,
    id: string,
    outcome: AuditOutcome,
    result: unknown,
    reason?: string,
  ): AuditRecordInput {
    const input: AuditRecordInput = { ...pending.base, id, outcome };
    if (reason) {
      input.reason = reason;
    }
    if (outcome === 'success') {
      if (scope.changes) {
        input.changes = scope.changes;
      } else if (pending.captureResult && isRecord(result)) {
        input.changes = { after: result };
      }
      const resultId = isRecord(result) ? result[pending.idParam] : undefined;
      const objectId = scope.objectId ?? (typeof resultId === 'string' ? resultId : undefined);
      if (input.object && !input.object.id && objectId) {
        input.object = { ...input.object, id: objectId };
      }
    }
    return input;
  }

  private logInvalid(input: AuditRecordInput, error: unknown): void {
    this.logger.error(
      { action: input.action, error: (error as Error).message },
      'audit entry not recorded',
    );
  }
}

/**
 * Who and where of an HTTP request, for services that record entries themselves (e.g. a failed
 * login): `recorder.record({ ...httpAuditContext(request), action: AuditActions.LoginFailed, ... })`.
 */
export function httpAuditContext(
  request: HttpRequestLike,
): Pick<AuditRecordInput, 'agencyId' | 'actor' | 'source' | 'traceId'> {
  return {
    ...who(request.user),
    source: {
      ip: request.ip ?? request.socket?.remoteAddress,
      userAgent: header(request.headers?.['user-agent']),
    },
    traceId: traceIdOf(header(request.headers?.['traceparent'])),
  };
}

function who(user: AuditUser | undefined): Pick<AuditRecordInput, 'agencyId' | 'actor'> {
  const actor: Actor = user
    ? { kind: 'user', id: user.sub, ...(user.roles ? { roles: user.roles } : {}) }
    : { kind: 'user', id: 'anonymous' };
  return { agencyId: user?.agencyId ?? UNSCOPED_AGENCY, actor };
}

function traceIdOf(traceparent: string | undefined): string | undefined {
  const span = trace.getActiveSpan()?.spanContext();
  if (span && isSpanContextValid(span)) {
    return span.traceId;
  }
  const fromHeader = traceparent?.split('-')[1];
  return fromHeader && /^[0-9a-f]{32}$/.test(fromHeader) ? fromHeader : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function statusOf(error: unknown): number | undefined {
  if (!isRecord(error)) {
    return undefined;
  }
  const getStatus = error['getStatus'];
  if (typeof getStatus === 'function') {
    const status: unknown = getStatus.call(error);
    return typeof status === 'number' ? status : undefined;
  }
  const status = error['status'] ?? error['statusCode'];
  return typeof status === 'number' ? status : undefined;
}

function reasonOf(error: unknown, status: number | undefined): string {
  const code = isRecord(error) && typeof error['code'] === 'string' ? `${error['code']}: ` : '';
  const message = error instanceof Error ? error.message : String(error);
  return `${status ? `${status} ` : ''}${code}${message}`;
}
