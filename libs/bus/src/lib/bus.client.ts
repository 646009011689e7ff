import type { Envelope } from '@gad/contracts';
import type { OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { NO_PUBSUB_INSTANCE, PubSubRpcClient } from './pubsub-rpc';
import { IdempotencyGuard, type IdempotencyGuardOptions } from './idempotency.guard';
import {
  closeRedis,
  DEFAULT_COMMAND_TIMEOUT_MS,
  defaultLogger,
  openRedis,
  type BusLogger,
  type RedisConnection,
} from './redis-connection';
import { RpcClient, type RpcRequestOptions } from './rpc.client';
import { StreamPublisher } from './stream.publisher';

export interface BusClientOptions {
  redis: RedisConnection;
  prefix?: string;
  /** This instance's id (pod name, host:pid): names its RPC reply stream. */
  instanceId: string;
  /** Default RPC deadline. 5,000 ms. */
  rpcTimeoutMs?: number;
  commandTimeoutMs?: number;
  /** `XADD MAXLEN ~` of published streams. Default 100,000. */
  maxLen?: number;
  /**
   * Call services over Redis pub/sub request/reply when one of their instances serves it
   * (docs/adr/0024), else over their RPC stream. Default false.
   */
  pubsubRpc?: boolean;
  logger?: BusLogger;
}

/** Publisher + RPC caller over one command connection (plus a reply reader opened on first RPC). */
export class BusClient implements OnApplicationShutdown {
  readonly publisher: StreamPublisher;
  private readonly redis: Redis;
  private readonly rpc: RpcClient;
  private readonly pubsubRpc?: PubSubRpcClient;
  private closing?: Promise<void>;

  constructor(private readonly options: BusClientOptions) {
    const logger = options.logger ?? defaultLogger('BusClient');
    const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.redis = openRedis(options.redis, {
      commandTimeoutMs,
      connectionName: `bus:client:${options.instanceId}`,
      logger,
    });
    this.publisher = new StreamPublisher(this.redis, {
      prefix: options.prefix,
      maxLen: options.maxLen,
    });
    this.rpc = new RpcClient(this.redis, {
      redis: options.redis,
      prefix: options.prefix,
      instanceId: options.instanceId,
      defaultTimeoutMs: options.rpcTimeoutMs,
      commandTimeoutMs,
      maxLen: options.maxLen,
      logger,
    });
    if (options.pubsubRpc) {
      this.pubsubRpc = new PubSubRpcClient(this.redis, {
        redis: options.redis,
        prefix: options.prefix,
        instanceId: options.instanceId,
        defaultTimeoutMs: options.rpcTimeoutMs,
        commandTimeoutMs,
        logger,
      });
    }
  }

  /** Appends envelopes to `stream` (name without prefix) in one round trip; resolves with entry ids. */
  publish(stream: string, envelopes: Envelope | readonly Envelope[]): Promise<string[]> {
    return this.publisher.publish(stream, envelopes);
  }

  /**
   * Calls `pattern` on `service` (over pub/sub when enabled and an instance serves it, else its RPC
   * stream); rejects with `RpcTimeoutError` or `RpcRemoteError`.
   */
  async request<TResponse = unknown>(
    service: string,
    pattern: string,
    data: unknown,
    options?: RpcRequestOptions,
  ): Promise<TResponse> {
    if (this.pubsubRpc) {
      const reply = await this.pubsubRpc.request<TResponse>(service, pattern, data, options);
      if (reply !== NO_PUBSUB_INSTANCE) {
        return reply;
      }
    }
    return this.rpc.request<TResponse>(service, pattern, data, options);
  }

  /** An idempotency guard on this client's connection and prefix. */
  idempotencyGuard(options: Omit<IdempotencyGuardOptions, 'prefix'> = {}): IdempotencyGuard {
    return new IdempotencyGuard(this.redis, { ...options, prefix: this.options.prefix });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.pubsubRpc?.close();
      await this.rpc.close();
      await closeRedis(this.redis);
    })();
    return this.closing;
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }
}
