import { createEnvelope, isStableErrorCode, type Actor, type RpcAudit } from '@gad/contracts';
import type { Redis } from 'ioredis';
import { busInstruments } from './bus.metrics';
import { BusClosedError, RpcRemoteError, RpcTimeoutError } from './bus.exception';
import {
  DEFAULT_COMMAND_TIMEOUT_MS,
  defaultLogger,
  errorMessage,
  openRedis,
  sleep,
  type BusLogger,
  type RedisConnection,
  isClusterConnection,
} from './redis-connection';
import { Fields, parseStreamsReply, StreamKeys } from './stream-keys';
import { DEFAULT_MAX_LEN } from './stream.publisher';
import { withTraceparent } from './trace-propagation';

/** What a responder writes to the caller's reply stream (`reply` field, JSON). */
export type RpcReply =
  | {
      ok: true;
      data: unknown;
      /** The id of the request's `audit` entry, when the handler recorded it with its change. */
      audited?: string;
    }
  | { ok: false; error: { code: string; message: string } };

export interface RpcRequestOptions {
  /** Deadline from now. Default: the client's `defaultTimeoutMs` (5,000 ms). */
  timeoutMs?: number;
  /** Envelope `agencyId` of the request. Default `system`. */
  agencyId?: string;
  /** Envelope `actor`. Default `{ kind: 'service', id: <instanceId> }`. */
  actor?: Actor;
  /** Envelope `audit`: the request's entry, for the serving service to record with its change. */
  audit?: RpcAudit;
  /** Called before the result resolves when the serving service recorded `audit` (docs/adr/0021). */
  onAuditRecorded?: (entryId: string) => void;
}

export interface RpcClientOptions {
  redis: RedisConnection;
  prefix?: string;
  /** This instance's id: replies come back on `gad:rpc:reply:<instanceId>`. */
  instanceId: string;
  defaultTimeoutMs?: number;
  commandTimeoutMs?: number;
  /** Block time of the reply reader. Default 1,000 ms. */
  blockMs?: number;
  /** Request streams are capped with `MAXLEN ~`. Default 100,000. */
  maxLen?: number;
  logger?: BusLogger;
}

interface PendingCall {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  /** The `audit` entry's id and who to tell when the reply says it was recorded. */
  audit?: AuditWatch;
}

/** What a caller waits to learn about the `audit` entry it sent. */
export interface AuditWatch {
  entryId: string;
  recorded: (entryId: string) => void;
}

/** The {@link AuditWatch} of a request's options, if it carries an entry someone watches. */
export function auditWatchOf(options: RpcRequestOptions): AuditWatch | undefined {
  return options.audit && options.onAuditRecorded
    ? { entryId: options.audit.entry.id, recorded: options.onAuditRecorded }
    : undefined;
}

/** Tells the caller its `audit` entry was recorded, when the reply says so for that entry. */
export function noteAudited(watch: AuditWatch | undefined, reply: RpcReply | undefined): void {
  if (watch && reply?.ok && reply.audited === watch.entryId) {
    watch.recorded(watch.entryId);
  }
}

/**
 * Request/reply over streams: the request (an envelope whose `type` is the pattern) goes to
 * `gad:rpc:<service>`, read by that service's group; the reply comes back on this instance's own
 * reply stream, matched by the request envelope id.
 */
export class RpcClient {
  private readonly keys: StreamKeys;
  private readonly replyKey: string;
  private readonly logger: BusLogger;
  private readonly pending = new Map<string, PendingCall>();
  private readonly abort = new AbortController();
  private reader?: Redis;
  private readerDone?: Promise<void>;
  private closed = false;

  constructor(
    private readonly redis: Redis,
    private readonly options: RpcClientOptions,
  ) {
    this.keys = new StreamKeys(options.prefix, isClusterConnection(redis));
    this.replyKey = this.keys.rpcReply(options.instanceId);
    this.logger = options.logger ?? defaultLogger('RpcClient');
  }

  async request<TResponse = unknown>(
    service: string,
    pattern: string,
    data: unknown,
    options: RpcRequestOptions = {},
  ): Promise<TResponse> {
    if (this.closed) {
      throw new BusClosedError(`rpc ${service}/${pattern}`);
    }
    this.ensureReader();
    const timeoutMs = options.timeoutMs ?? this.options.defaultTimeoutMs ?? 5_000;
    const envelope = withTraceparent(
      createEnvelope({
        type: pattern,
        agencyId: options.agencyId ?? 'system',
        actor: options.actor ?? { kind: 'service', id: this.options.instanceId },
        ...(options.audit ? { audit: options.audit } : {}),
        data,
      }),
    );
    const result = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(envelope.id);
        reject(new RpcTimeoutError(service, pattern, timeoutMs));
      }, timeoutMs);
      this.pending.set(envelope.id, { resolve, reject, timer, audit: auditWatchOf(options) });
    });
    // Not awaited: the deadline bounds the caller's wait even while Redis holds the XADD, and the
    // result is returned (so handled) before its timer can reject it. A failed send settles it.
    void this.redis
      .xadd(
        this.keys.rpc(service),
        'MAXLEN',
        '~',
        this.options.maxLen ?? DEFAULT_MAX_LEN,
        '*',
        Fields.Envelope,
        JSON.stringify(envelope),
        Fields.ReplyTo,
        this.replyKey,
        Fields.Deadline,
        String(Date.now() + timeoutMs),
      )
      .then(
        () => busInstruments().published.add(1, { stream: `gad:rpc:${service}` }),
        (error: unknown) =>
          this.settle(envelope.id, {
            ok: false,
            error: { code: 'rpc_send_failed', message: errorMessage(error) },
          }),
      );
    return result as Promise<TResponse>;
  }

  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.abort.abort();
    for (const [id, call] of this.pending) {
      clearTimeout(call.timer);
      call.reject(new BusClosedError(`rpc ${id}`));
    }
    this.pending.clear();
    if (this.reader) {
      this.reader.disconnect();
      await this.readerDone;
    }
  }

  private ensureReader(): void {
    if (this.reader) {
      return;
    }
    const blockMs = this.options.blockMs ?? 1_000;
    this.reader = openRedis(this.options.redis, {
      commandTimeoutMs: blockMs + (this.options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS),
      connectionName: `bus:rpc-reply:${this.options.instanceId}`,
      logger: this.logger,
      extra: { autoResendUnfulfilledCommands: false },
    });
    this.readerDone = this.readReplies(this.reader, blockMs);
  }

  private async readReplies(reader: Redis, blockMs: number): Promise<void> {
    // The stream is this instance's alone: reading from the start cannot miss a reply; replies to
    // an earlier incarnation with the same id carry unknown correlation ids and are ignored.
    let lastId = '0-0';
    let failing = false;
    while (!this.closed) {
      try {
        const reply = await reader.call(
          'XREAD',
          'COUNT',
          100,
          'BLOCK',
          blockMs,
          'STREAMS',
          this.replyKey,
          lastId,
        );
        failing = false;
        for (const [, entries] of parseStreamsReply(reply)) {
          for (const [id, fields] of entries) {
            lastId = id;
            this.onReply(fields);
          }
        }
      } catch (error) {
        if (this.closed) {
          break;
        }
        if (!failing) {
          failing = true;
          this.logger.warn(`rpc reply reader failing: ${errorMessage(error)}`);
        }
        await sleep(200, this.abort.signal);
      }
    }
  }

  private onReply(fields: Record<string, string>): void {
    const correlationId = fields[Fields.CorrelationId];
    if (!correlationId || !this.pending.has(correlationId)) {
      return;
    }
    let reply: RpcReply;
    try {
      reply = JSON.parse(fields[Fields.Reply] ?? '') as RpcReply;
    } catch (error) {
      reply = { ok: false, error: { code: 'invalid_reply', message: errorMessage(error) } };
    }
    this.settle(correlationId, reply);
  }

  private settle(correlationId: string, reply: RpcReply): void {
    const call = this.pending.get(correlationId);
    if (!call) {
      return;
    }
    this.pending.delete(correlationId);
    clearTimeout(call.timer);
    if (reply.ok) {
      noteAudited(call.audit, reply);
      call.resolve(reply.data);
    } else {
      call.reject(
        new RpcRemoteError(reply.error?.code ?? 'internal_error', reply.error?.message ?? ''),
      );
    }
  }
}

/** How long a caller's reply stream lives after the last reply (a gone instance leaves no garbage). */
const REPLY_STREAM_TTL_MS = 5 * 60_000;
const REPLY_STREAM_MAX_LEN = 10_000;

/** Writes an RPC reply to the caller's reply stream. */
export async function sendRpcReply(
  redis: Redis,
  replyTo: string,
  correlationId: string,
  reply: RpcReply,
): Promise<void> {
  let json: string;
  try {
    json = JSON.stringify(reply);
  } catch (error) {
    json = JSON.stringify({
      ok: false,
      error: { code: 'unserialisable_reply', message: errorMessage(error) },
    } satisfies RpcReply);
  }
  const pipeline = redis.pipeline();
  pipeline.xadd(
    replyTo,
    'MAXLEN',
    '~',
    REPLY_STREAM_MAX_LEN,
    '*',
    Fields.CorrelationId,
    correlationId,
    Fields.Reply,
    json,
  );
  pipeline.pexpire(replyTo, REPLY_STREAM_TTL_MS);
  const replies = (await pipeline.exec()) ?? [];
  const failure = replies.find(([error]) => error)?.[0];
  if (failure) {
    throw failure;
  }
}

/** Message of an RPC error whose cause is internal (the cause is logged by the responder). */
export const INTERNAL_RPC_MESSAGE = 'internal error';

/**
 * The RPC error a thrown value becomes: its `code` and message when the code is one of ours (lower
 * snake case, e.g. `not_found`); anything else — a PostgreSQL SQLSTATE (`22003`), a Node error code,
 * no code — becomes `internal_error` with a generic message, so no internal detail crosses the bus.
 */
export function toRpcError(error: unknown): { code: string; message: string } {
  if (typeof error === 'object' && error !== null) {
    const record = error as Record<string, unknown>;
    if (isStableErrorCode(record['code'])) {
      const message =
        typeof record['message'] === 'string' ? record['message'] : errorMessage(error);
      return { code: record['code'], message };
    }
  }
  return { code: 'internal_error', message: INTERNAL_RPC_MESSAGE };
}
