import { rpcStreamOf, type Envelope } from '@gad/contracts';
import { contextFromTraceparent, createLogger, type Logger } from '@gad/observability';
import { context as otelContext } from '@opentelemetry/api';
import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import type { Redis } from 'ioredis';
import { lastValueFrom } from 'rxjs';
import { BusContext } from './bus.context';
import { busInstruments } from './bus.metrics';
import { eventIntakeOf, parseEvent, type EventIntake } from './event-intake';
import { PubSubRpcServer } from './pubsub-rpc';
import {
  closeRedis,
  DEFAULT_COMMAND_TIMEOUT_MS,
  defaultLogger,
  errorMessage,
  openRedis,
  type BusLogger,
  type RedisConnection,
  isClusterConnection,
} from './redis-connection';
import { sendRpcReply, toRpcError, type RpcReply } from './rpc.client';
import { SerialByKey } from './serial-by-key';
import { Fields, StreamKeys } from './stream-keys';
import { StreamConsumer, type ConsumerTuning, type Delivery } from './stream.consumer';

export interface RedisStreamsTransportOptions extends ConsumerTuning {
  redis: RedisConnection;
  prefix?: string;
  /** Consumer group of the event streams and RPC service name (`gad:rpc:<service>`). */
  service: string;
  /** This instance's consumer name (unique per replica). */
  consumer: string;
  /** Event streams to consume (without prefix). */
  streams: readonly string[];
  /** Serve `@MessagePattern` handlers on `gad:rpc:<service>`. Default true. */
  rpc?: boolean;
  /** RPC requests handled at the same time per instance. Default 16. */
  rpcConcurrency?: number;
  /**
   * Also serve the `@MessagePattern` handlers over Redis pub/sub request/reply (docs/adr/0024), for
   * callers that read; the stream stays served. Default false.
   */
  pubsub?: boolean;
  logger?: BusLogger;
}

type Status = 'connected' | 'disconnected';

/**
 * Nest custom transport over Redis Streams. `@EventPattern('incident.created')` handlers get the
 * whole `Envelope` as payload (and a {@link BusContext}); their entry is acknowledged after they
 * resolve, retried when they throw. `@OnEvent('incident.created')` handlers get it with `data`
 * validated against the event registry (invalid data throws here, before the handler), run in
 * order per `orderKey` when they give one. `@MessagePattern('geo.nearest')` handlers get the request
 * `data`; what they return (value, Promise or Observable's last value) is the reply, a thrown error
 * becomes an `RpcRemoteError` at the caller.
 */
export class RedisStreamsTransport
  extends Server<Record<string, never>, Status>
  implements CustomTransportStrategy
{
  private readonly keys: StreamKeys;
  private readonly busLogger: BusLogger;
  private eventConsumer?: StreamConsumer;
  private rpcConsumer?: StreamConsumer;
  private replyRedis?: Redis;
  private pubsubServer?: PubSubRpcServer;
  /** Handler per event type (see {@link getHandlerByPattern}). */
  private readonly handlerOf = new Map<string, MessageHandler | null>();
  /** Intake per event type with a handler (see {@link intakeOf}). */
  private readonly intakes = new Map<string, EventIntake>();
  /** Queues of `@OnEvent` handlers' `orderKey`s. */
  private readonly serial = new SerialByKey();
  /** Structured log of invalid events (`invalid event` with `eventId`, `type`, `error`). */
  private readonly intakeLogger: Logger;

  constructor(private readonly options: RedisStreamsTransportOptions) {
    super();
    this.keys = new StreamKeys(options.prefix, isClusterConnection(options.redis));
    this.busLogger = options.logger ?? defaultLogger(`RedisStreamsTransport:${options.service}`);
    this.intakeLogger = createLogger(`event-intake:${options.service}`);
  }

  async listen(callback: (...optionalParams: unknown[]) => unknown): Promise<void> {
    try {
      await this.start();
      this._status$.next('connected');
      callback();
    } catch (error) {
      callback(error);
    }
  }

  async close(): Promise<void> {
    await Promise.all([
      this.eventConsumer?.stop(),
      this.rpcConsumer?.stop(),
      this.pubsubServer?.close(),
    ]);
    if (this.replyRedis) {
      await closeRedis(this.replyRedis);
    }
    this._status$.next('disconnected');
  }

  on(): never {
    throw new Error('RedisStreamsTransport does not emit events; watch `status` instead');
  }

  unwrap<T>(): T {
    return { events: this.eventConsumer, rpc: this.rpcConsumer } as T;
  }

  private async start(): Promise<void> {
    const { options } = this;
    const tuning: ConsumerTuning = { ...options };
    const started: StreamConsumer[] = [];
    try {
      if (options.streams.length > 0) {
        this.eventConsumer = new StreamConsumer({
          ...tuning,
          redis: options.redis,
          prefix: options.prefix,
          group: options.service,
          consumer: options.consumer,
          streams: options.streams,
          handler: (envelope, delivery) => this.onEvent(envelope, delivery),
          logger: this.busLogger,
        });
        await this.eventConsumer.start();
        started.push(this.eventConsumer);
      }
      if (options.rpc ?? true) {
        this.replyRedis = openRedis(options.redis, {
          commandTimeoutMs: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
          connectionName: `bus:rpc-server:${options.service}:${options.consumer}`,
          logger: this.busLogger,
        });
        this.rpcConsumer = new StreamConsumer({
          ...tuning,
          concurrency: options.rpcConcurrency ?? 16,
          redis: options.redis,
          prefix: options.prefix,
          group: options.service,
          consumer: options.consumer,
          streams: [rpcStreamOf(options.service)],
          handler: (envelope, delivery) => this.onRequest(envelope, delivery),
          logger: this.busLogger,
        });
        await this.rpcConsumer.start();
        started.push(this.rpcConsumer);
      }
      if (options.pubsub) {
        this.pubsubServer = new PubSubRpcServer(
          {
            redis: options.redis,
            prefix: options.prefix,
            service: options.service,
            instanceId: options.consumer,
            commandTimeoutMs: options.commandTimeoutMs,
            logger: this.busLogger,
          },
          (envelope, deadline) =>
            otelContext.with(contextFromTraceparent(envelope.traceparent), () =>
              this.answer(envelope, deadline, {
                stream: 'pubsub',
                key: '',
                id: envelope.id,
                group: options.service,
                consumer: options.consumer,
                deliveries: 1,
                fields: { [Fields.Deadline]: String(deadline) },
              }),
            ),
        );
        await this.pubsubServer.start();
      }
    } catch (error) {
      await Promise.all(started.map((consumer) => consumer.stop()));
      await this.pubsubServer?.close();
      if (this.replyRedis) {
        await closeRedis(this.replyRedis);
      }
      throw error;
    }
  }

  /**
   * Nest's lookup tries `JSON.parse` on every pattern and catches the error for a plain string
   * (every event type here): an exception per message. Handlers are all registered before
   * `listen`, so the answer per event type is remembered.
   */
  override getHandlerByPattern(pattern: string): MessageHandler | null {
    let handler = this.handlerOf.get(pattern);
    if (handler === undefined) {
      handler = super.getHandlerByPattern(pattern);
      if (this.handlerOf.size < 1_000) {
        this.handlerOf.set(pattern, handler);
      }
    }
    return handler;
  }

  private async onEvent(envelope: Envelope, delivery: Delivery): Promise<void> {
    const handler = this.getHandlerByPattern(envelope.type);
    if (!handler || !handler.isEventHandler) {
      busInstruments().unhandled.add(1, { stream: delivery.stream, group: delivery.group });
      return;
    }
    const intake = this.intakeOf(envelope.type, handler);
    if (!intake.typed) {
      await this.invoke(handler, envelope, new BusContext([envelope, delivery]));
      return;
    }
    const parsed = parseEvent(envelope);
    if (!parsed.ok) {
      // Thrown like a handler failure: retried (a newer replica may know the version), then the DLQ.
      this.intakeLogger.warn(
        { eventId: envelope.id, type: envelope.type, error: parsed.error },
        'invalid event',
      );
      throw new Error(`invalid ${envelope.type}@v${envelope.version}: ${parsed.error}`);
    }
    const { event } = parsed;
    const run = (): Promise<unknown> =>
      this.invoke(handler, event, new BusContext([event, delivery]));
    // Queued synchronously, so entries of one key keep the order the consumer started them in.
    await (intake.orderKey ? this.serial.run(intake.orderKey(event), run) : run());
  }

  private intakeOf(pattern: string, handler: MessageHandler): EventIntake {
    let intake = this.intakes.get(pattern);
    if (!intake) {
      intake = eventIntakeOf(handler);
      if (this.intakes.size < 1_000) {
        this.intakes.set(pattern, intake);
      }
    }
    return intake;
  }

  private async onRequest(envelope: Envelope, delivery: Delivery): Promise<void> {
    const replyTo = delivery.fields[Fields.ReplyTo];
    if (!replyTo || !replyTo.startsWith(this.keys.rpcReply(''))) {
      this.busLogger.warn(`rpc request ${delivery.id} without a valid reply stream; dropped`);
      return;
    }
    const deadline = Number(delivery.fields[Fields.Deadline]);
    if (Number.isFinite(deadline) && Date.now() > deadline) {
      // The caller has given up already.
      busInstruments().unhandled.add(1, { stream: delivery.stream, group: delivery.group });
      return;
    }
    const reply = await this.answer(envelope, deadline, delivery);
    await sendRpcReply(this.replyRedis as Redis, replyTo, envelope.id, reply);
  }

  /** Runs the `@MessagePattern` handler of a request (either transport) and builds its reply. */
  private async answer(
    envelope: Envelope,
    deadline: number,
    delivery: Delivery,
  ): Promise<RpcReply> {
    if (Number.isFinite(deadline) && Date.now() > deadline) {
      // The caller has given up already: do not start the work.
      busInstruments().unhandled.add(1, { stream: delivery.stream, group: delivery.group });
      return { ok: false, error: { code: 'upstream_timeout', message: 'deadline passed' } };
    }
    const handler = this.getHandlerByPattern(envelope.type);
    let reply: RpcReply;
    if (!handler || handler.isEventHandler) {
      reply = {
        ok: false,
        error: { code: 'pattern_not_found', message: `no handler for ${envelope.type}` },
      };
    } else {
      const ctx = new BusContext([envelope, delivery]);
      try {
        const data = await this.invoke(handler, envelope.data, ctx);
        const audited = ctx.getAuditRecorded();
        reply = { ok: true, data: data ?? null, ...(audited ? { audited } : {}) };
      } catch (error) {
        reply = { ok: false, error: toRpcError(error) };
        if (reply.error.code === 'internal_error') {
          // The caller only learns `internal_error`: the cause stays here, in the log and the trace.
          this.busLogger.error(
            `rpc ${envelope.type} (${envelope.id}) failed: ${errorMessage(error)}`,
          );
        }
      }
    }
    return reply;
  }

  /** Runs a Nest handler to completion; rejects with what the handler (or its exception filter) threw. */
  private async invoke(
    handler: MessageHandler,
    payload: unknown,
    ctx: BusContext,
  ): Promise<unknown> {
    let outcome: { ok: true; value: unknown } | { ok: false; error: unknown } | undefined;
    await this.onProcessingStartHook(this.transportId as symbol, ctx, async () => {
      try {
        const resultOrStream = await handler(payload, ctx);
        const value = await lastValueFrom(this.transformToObservable(resultOrStream), {
          defaultValue: undefined,
        });
        outcome = { ok: true, value };
      } catch (error) {
        outcome = { ok: false, error };
      } finally {
        this.onProcessingEndHook?.(this.transportId as symbol, ctx);
      }
    });
    if (!outcome) {
      throw new Error('the processing hook did not run the handler');
    }
    if (!outcome.ok) {
      if (outcome.error instanceof Error) {
        throw outcome.error;
      }
      const { code, message } = toRpcError(outcome.error);
      throw Object.assign(new Error(message), { code });
    }
    return outcome.value;
  }
}
