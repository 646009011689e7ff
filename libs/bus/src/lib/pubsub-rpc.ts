import { envelopeSchema, createEnvelope, type Envelope } from '@gad/contracts';
import type { Redis } from 'ioredis';
import { BusClosedError, RpcRemoteError, RpcTimeoutError } from './bus.exception';
import {
  closeRedis,
  DEFAULT_COMMAND_TIMEOUT_MS,
  defaultLogger,
  errorMessage,
  openRedis,
  type BusLogger,
  type RedisConnection,
} from './redis-connection';
import {
  auditWatchOf,
  noteAudited,
  type AuditWatch,
  type RpcReply,
  type RpcRequestOptions,
} from './rpc.client';
import { withTraceparent } from './trace-propagation';

/*
 * Request/reply over Redis pub/sub for reads (docs/adr/0024): one PUBLISH to a serving instance's
 * own channel, one PUBLISH back to the caller's channel. No entry is stored, read from a group,
 * acknowledged or trimmed, so a read costs what a read should; what it gives up is durability,
 * which a read does not need (the caller's deadline bounds it, and it may simply be asked again).
 * Serving instances announce themselves in a sorted set (score: last heartbeat); callers pick one
 * round-robin and learn from PUBLISH's receiver count when it has gone.
 */

/** Heartbeat period of a serving instance; callers trust an entry for three periods. */
export const PUBSUB_RPC_HEARTBEAT_MS = 2_000;
const LIVE_FOR_MS = 3 * PUBSUB_RPC_HEARTBEAT_MS;
/** How long a caller reuses the instance list it read. */
const INSTANCE_CACHE_MS = 1_000;

export class PubSubRpcKeys {
  constructor(private readonly prefix = '') {}

  /** Sorted set of the live instances serving `service` (member: instance id, score: heartbeat ms). */
  instances(service: string): string {
    return `${this.prefix}gad:rpc:instances:${service}`;
  }

  /** Request channel of one serving instance. */
  requests(service: string, instanceId: string): string {
    return `${this.prefix}gad:rpcq:${service}:${instanceId}`;
  }

  /** Reply channel of one caller instance. */
  replies(instanceId: string): string {
    return `${this.prefix}gad:rpcr:${instanceId}`;
  }
}

/** A request on the wire: the envelope, the reply channel, the deadline (epoch ms). */
interface WireRequest {
  e: Envelope;
  r: string;
  d: number;
}

/** A reply on the wire: the request envelope's id and the reply. */
interface WireReply {
  c: string;
  reply: RpcReply;
}

export interface PubSubRpcServerOptions {
  redis: RedisConnection;
  prefix?: string;
  service: string;
  instanceId: string;
  /** Requests handled at the same time; beyond it the reply is `overloaded` at once. Default 256. */
  maxInFlight?: number;
  commandTimeoutMs?: number;
  logger?: BusLogger;
}

/** Answers a request: its envelope and deadline (epoch ms); resolves with the reply to send. */
export type PubSubRpcAnswer = (envelope: Envelope, deadline: number) => Promise<RpcReply>;

/** Serves one instance's request channel and keeps its heartbeat in the service's instance set. */
export class PubSubRpcServer {
  private readonly keys: PubSubRpcKeys;
  private readonly logger: BusLogger;
  private subscriber?: Redis;
  private publisher?: Redis;
  private heartbeat?: NodeJS.Timeout;
  private inFlight = 0;
  private closed = false;

  constructor(
    private readonly options: PubSubRpcServerOptions,
    private readonly answer: PubSubRpcAnswer,
  ) {
    this.keys = new PubSubRpcKeys(options.prefix);
    this.logger = options.logger ?? defaultLogger('PubSubRpcServer');
  }

  async start(): Promise<void> {
    const { options } = this;
    const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.publisher = openRedis(options.redis, {
      commandTimeoutMs,
      connectionName: `bus:rpc-pubsub:${options.service}:${options.instanceId}`,
      logger: this.logger,
    });
    this.subscriber = openRedis(options.redis, {
      commandTimeoutMs,
      connectionName: `bus:rpc-pubsub-sub:${options.service}:${options.instanceId}`,
      logger: this.logger,
    });
    const channel = this.keys.requests(options.service, options.instanceId);
    this.subscriber.on('message', (_channel: string, message: string) => {
      void this.onRequest(message);
    });
    await this.subscriber.subscribe(channel);
    await this.beat();
    this.heartbeat = setInterval(() => void this.beat(), PUBSUB_RPC_HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    clearInterval(this.heartbeat);
    const { publisher, subscriber } = this;
    if (publisher) {
      await publisher
        .zrem(this.keys.instances(this.options.service), this.options.instanceId)
        .catch(() => undefined);
      await closeRedis(publisher);
    }
    subscriber?.disconnect();
  }

  private async beat(): Promise<void> {
    const key = this.keys.instances(this.options.service);
    const now = Date.now();
    try {
      await (this.publisher as Redis)
        .multi()
        .zadd(key, now, this.options.instanceId)
        .zremrangebyscore(key, '-inf', now - 10 * LIVE_FOR_MS)
        .pexpire(key, 10 * LIVE_FOR_MS)
        .exec();
    } catch (error) {
      this.logger.warn(`rpc heartbeat of ${this.options.service} failed: ${errorMessage(error)}`);
    }
  }

  private async onRequest(message: string): Promise<void> {
    let request: WireRequest;
    try {
      request = JSON.parse(message) as WireRequest;
    } catch {
      return;
    }
    if (typeof request?.r !== 'string' || !request.r.startsWith(this.keys.replies(''))) {
      return;
    }
    const parsed = envelopeSchema.safeParse(request.e);
    if (!parsed.success) {
      const id = typeof request.e?.id === 'string' ? request.e.id : '';
      await this.reply(request.r, id, {
        ok: false,
        error: { code: 'invalid_envelope', message: 'the request envelope is invalid' },
      });
      return;
    }
    let reply: RpcReply;
    if (this.inFlight >= (this.options.maxInFlight ?? 256)) {
      reply = { ok: false, error: { code: 'overloaded', message: 'too many requests in flight' } };
    } else {
      this.inFlight += 1;
      try {
        reply = await this.answer(parsed.data, Number(request.d));
      } catch (error) {
        this.logger.error(`rpc ${parsed.data.type} failed: ${errorMessage(error)}`);
        reply = { ok: false, error: { code: 'internal_error', message: 'internal error' } };
      } finally {
        this.inFlight -= 1;
      }
    }
    await this.reply(request.r, parsed.data.id, reply);
  }

  private async reply(channel: string, correlationId: string, reply: RpcReply): Promise<void> {
    let json: string;
    try {
      json = JSON.stringify({ c: correlationId, reply } satisfies WireReply);
    } catch (error) {
      json = JSON.stringify({
        c: correlationId,
        reply: { ok: false, error: { code: 'unserialisable_reply', message: errorMessage(error) } },
      } satisfies WireReply);
    }
    try {
      await (this.publisher as Redis).publish(channel, json);
    } catch (error) {
      this.logger.warn(`rpc reply to ${channel} not sent: ${errorMessage(error)}`);
    }
  }
}

export interface PubSubRpcClientOptions {
  redis: RedisConnection;
  prefix?: string;
  instanceId: string;
  defaultTimeoutMs?: number;
  commandTimeoutMs?: number;
  logger?: BusLogger;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  audit?: AuditWatch;
}

/** Sentinel: no live instance serves the service over pub/sub (the caller uses the stream). */
export const NO_PUBSUB_INSTANCE = Symbol('NO_PUBSUB_INSTANCE');

/**
 * The caller's side: picks a live instance round-robin, publishes the request to it and waits on
 * its own reply channel. Resolves with {@link NO_PUBSUB_INSTANCE} when no instance serves the
 * service this way (none announced, or every one it tried had gone), so the caller can fall back
 * to the RPC stream, which holds the request until an instance reads it.
 */
export class PubSubRpcClient {
  private readonly keys: PubSubRpcKeys;
  private readonly logger: BusLogger;
  private readonly replyChannel: string;
  private readonly pending = new Map<string, Pending>();
  private readonly instances = new Map<string, { ids: string[]; readAt: number; next: number }>();
  private subscriber?: Redis;
  private subscribed?: Promise<unknown>;
  private closed = false;

  constructor(
    private readonly redis: Redis,
    private readonly options: PubSubRpcClientOptions,
  ) {
    this.keys = new PubSubRpcKeys(options.prefix);
    this.logger = options.logger ?? defaultLogger('PubSubRpcClient');
    this.replyChannel = this.keys.replies(options.instanceId);
  }

  async request<TResponse>(
    service: string,
    pattern: string,
    data: unknown,
    options: RpcRequestOptions = {},
  ): Promise<TResponse | typeof NO_PUBSUB_INSTANCE> {
    if (this.closed) {
      throw new BusClosedError(`rpc ${service}/${pattern}`);
    }
    const timeoutMs = options.timeoutMs ?? this.options.defaultTimeoutMs ?? 5_000;
    const deadline = Date.now() + timeoutMs;
    const candidates = await this.liveInstances(service);
    if (candidates.length === 0) {
      return NO_PUBSUB_INSTANCE;
    }
    try {
      await this.ensureSubscribed();
    } catch (error) {
      throw new RpcRemoteError('rpc_send_failed', errorMessage(error));
    }
    const envelope = withTraceparent(
      createEnvelope({
        type: pattern,
        agencyId: options.agencyId ?? 'system',
        actor: options.actor ?? { kind: 'service', id: this.options.instanceId },
        ...(options.audit ? { audit: options.audit } : {}),
        data,
      }),
    );
    const message = JSON.stringify({ e: envelope, r: this.replyChannel, d: deadline });
    const result = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(envelope.id);
        reject(new RpcTimeoutError(service, pattern, timeoutMs));
      }, timeoutMs);
      this.pending.set(envelope.id, { resolve, reject, timer, audit: auditWatchOf(options) });
    });
    for (const instanceId of candidates) {
      let receivers: number;
      try {
        receivers = await this.redis.publish(this.keys.requests(service, instanceId), message);
      } catch (error) {
        this.settle(envelope.id, {
          ok: false,
          error: { code: 'rpc_send_failed', message: errorMessage(error) },
        });
        return result as Promise<TResponse>;
      }
      if (receivers > 0) {
        return result as Promise<TResponse>;
      }
      // That instance has gone since its last heartbeat: forget it, try the next one.
      this.forget(service, instanceId);
    }
    const call = this.pending.get(envelope.id);
    if (call) {
      clearTimeout(call.timer);
      this.pending.delete(envelope.id);
    }
    return NO_PUBSUB_INSTANCE;
  }

  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    for (const [id, call] of this.pending) {
      clearTimeout(call.timer);
      call.reject(new BusClosedError(`rpc ${id}`));
    }
    this.pending.clear();
    this.subscriber?.disconnect();
  }

  /** Live instances of `service`, starting with the next in round-robin order. */
  private async liveInstances(service: string): Promise<string[]> {
    const now = Date.now();
    let entry = this.instances.get(service);
    if (!entry || now - entry.readAt > INSTANCE_CACHE_MS) {
      let ids: string[] = [];
      try {
        ids = await this.redis.zrangebyscore(
          this.keys.instances(service),
          now - LIVE_FOR_MS,
          '+inf',
        );
      } catch (error) {
        this.logger.warn(`rpc instances of ${service} unknown: ${errorMessage(error)}`);
      }
      entry = { ids, readAt: now, next: entry?.next ?? 0 };
      this.instances.set(service, entry);
    }
    const { ids } = entry;
    if (ids.length === 0) {
      return [];
    }
    const start = entry.next % ids.length;
    entry.next = start + 1;
    return [...ids.slice(start), ...ids.slice(0, start)];
  }

  private forget(service: string, instanceId: string): void {
    const entry = this.instances.get(service);
    if (entry) {
      entry.ids = entry.ids.filter((id) => id !== instanceId);
    }
  }

  private ensureSubscribed(): Promise<unknown> {
    if (!this.subscribed) {
      this.subscriber = openRedis(this.options.redis, {
        commandTimeoutMs: this.options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
        connectionName: `bus:rpc-pubsub-replies:${this.options.instanceId}`,
        logger: this.logger,
      });
      this.subscriber.on('message', (_channel: string, message: string) => this.onReply(message));
      this.subscribed = this.subscriber.subscribe(this.replyChannel).catch((error: unknown) => {
        this.subscribed = undefined;
        this.subscriber?.disconnect();
        throw error;
      });
    }
    return this.subscribed;
  }

  private onReply(message: string): void {
    let wire: WireReply;
    try {
      wire = JSON.parse(message) as WireReply;
    } catch {
      return;
    }
    if (typeof wire?.c === 'string') {
      this.settle(wire.c, wire.reply);
    }
  }

  private settle(correlationId: string, reply: RpcReply | undefined): void {
    const call = this.pending.get(correlationId);
    if (!call) {
      return;
    }
    this.pending.delete(correlationId);
    clearTimeout(call.timer);
    if (reply?.ok) {
      noteAudited(call.audit, reply);
      call.resolve(reply.data);
    } else {
      call.reject(
        new RpcRemoteError(reply?.error?.code ?? 'internal_error', reply?.error?.message ?? ''),
      );
    }
  }
}
