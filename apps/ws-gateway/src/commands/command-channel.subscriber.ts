import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { createLogger } from '@gad/observability';
import { REDIS_CLIENT } from '@gad/platform';
import type { Redis } from 'ioredis';
import { WsRedisKeys } from '../realtime/redis-keys';
import { COMMAND_LOG_KEYS } from './command-log.repository';
import { CommandsService } from './commands.service';

/**
 * This instance's subscription to the command channel (docs/adr/0020): notification-service's
 * relay publishes each command there in the same Redis call that appends it to the recipient's
 * log, and every instance emits it to its own sockets of the recipient's room. No consumer group:
 * a stopped or killed instance holds nothing another one waits for. Its own connection (a
 * subscriber connection runs nothing else); ioredis resubscribes after a reconnect, and commands
 * published meanwhile reach the devices through replay (`resume` on a seq gap, or reconnect).
 */
@Injectable()
export class CommandChannelSubscriber implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = createLogger('command-channel');
  private subscriber?: Redis;
  private down = false;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(COMMAND_LOG_KEYS) private readonly keys: WsRedisKeys,
    private readonly commands: CommandsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const channel = this.keys.commandChannel();
    const subscriber = this.redis.duplicate();
    this.subscriber = subscriber;
    subscriber.on('error', (error: Error) => {
      if (!this.down) {
        this.down = true;
        this.logger.warn({ err: error }, 'command channel connection failed');
      }
    });
    subscriber.on('ready', () => {
      if (this.down) {
        this.down = false;
        this.logger.info('command channel connection recovered');
      }
    });
    subscriber.on('message', (from: string, message: string) => {
      if (from === channel) {
        this.commands.deliver(message);
      }
    });
    await subscriber.subscribe(channel);
  }

  async onApplicationShutdown(): Promise<void> {
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    if (subscriber) {
      await subscriber.quit().catch(() => subscriber.disconnect());
    }
  }
}
