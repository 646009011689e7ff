import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import {
  BUS_OPTIONS,
  BusClient,
  closeRedis,
  CommandRelay,
  DEFAULT_COMMAND_TIMEOUT_MS,
  OutboxRelay,
  openRedis,
  type BusModuleOptions,
  type OutboxSink,
} from '@gad/bus';
import { recipientRoomOf, Streams, type CommandIssuedV1, type Envelope } from '@gad/contracts';
import { createLogger } from '@gad/observability';
import type { Redis } from 'ioredis';
import {
  NOTIFICATION_SERVICE_CONFIG,
  type NotificationServiceConfig,
} from '../notification-service.config';
import { COMMAND_SINK } from '../notify.constants';

/**
 * The command path's producer end (docs/adr/0020): the outbox relay hands committed
 * `command.issued` rows ({@link COMMAND_SINK}) here, in outbox order; each is appended to its
 * recipient's log with the next seq and published to every ws-gateway instance in one atomic
 * Redis call (idempotent by commandId, so a relay retried after a failed commit changes
 * nothing). The same envelopes are journalled on `gad:notify:outbound` (trimmed, read by tools
 * and tests; no consumer group delivers from it).
 */
@Injectable()
export class CommandRelaySink implements OutboxSink, OnModuleInit, OnApplicationShutdown {
  private readonly logger = createLogger('command-relay');
  private readonly redis: Redis;
  private readonly relay: CommandRelay;

  constructor(
    @Inject(NOTIFICATION_SERVICE_CONFIG) config: NotificationServiceConfig,
    @Inject(BUS_OPTIONS) bus: BusModuleOptions,
    private readonly outbox: OutboxRelay,
    private readonly busClient: BusClient,
  ) {
    this.redis = openRedis(bus.redis, {
      commandTimeoutMs: DEFAULT_COMMAND_TIMEOUT_MS,
      connectionName: 'notification-service:command-relay',
      logger: {
        log: (message) => this.logger.info(message),
        warn: (message) => this.logger.warn(message),
        error: (message) => this.logger.error(message),
      },
    });
    this.relay = new CommandRelay(this.redis, {
      prefix: bus.prefix ?? '',
      maxLen: config.COMMAND_LOG_MAX_LEN,
      maxAgeMs: config.COMMAND_LOG_MAX_AGE_S * 1000,
    });
  }

  onModuleInit(): void {
    this.outbox.registerSink(COMMAND_SINK, this);
  }

  async onApplicationShutdown(): Promise<void> {
    await closeRedis(this.redis);
  }

  async deliver(rows: readonly string[]): Promise<void> {
    const envelopes = rows.map((row) => JSON.parse(row) as Envelope<CommandIssuedV1>);
    const [relayed] = await Promise.all([
      this.relay.relay(envelopes.filter((envelope) => this.deliverable(envelope))),
      this.busClient.publish(Streams.NotifyOutbound, envelopes),
    ]);
    for (const command of relayed) {
      this.logger.info(
        { commandId: command.commandId, seq: command.seq, inserted: command.inserted },
        'command relayed',
      );
    }
  }

  /**
   * A recipient id that names no room can never be delivered: journalled and logged, not relayed
   * (it would hold every later row of the outbox back).
   */
  private deliverable(envelope: Envelope<CommandIssuedV1>): boolean {
    try {
      recipientRoomOf(envelope.agencyId, envelope.data.recipient);
      return true;
    } catch (error) {
      this.logger.error(
        { err: error, commandId: envelope.data.commandId, eventId: envelope.id },
        'command names no deliverable recipient; not relayed',
      );
      return false;
    }
  }
}
