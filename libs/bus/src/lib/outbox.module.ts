import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Database } from '@gad/platform';
import { BUS_OPTIONS, type BusModuleOptions } from './bus.module';
import { OutboxRelay } from './outbox.relay';
import { OutboxWriter } from './outbox.writer';
import { UnitOfWork } from './unit-of-work';

export interface OutboxSchemaOptions {
  /** Relay poll period when idle (the app's `OUTBOX_POLL_MS`). Default 500 ms. */
  pollIntervalMs?: number;
  /** Register globally (default true: one outbox per service, used by every feature module). */
  global?: boolean;
}

@Injectable()
class OutboxRelayLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(OutboxRelay) private readonly relay: OutboxRelay) {}

  onApplicationBootstrap(): void {
    this.relay.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay.stop();
  }
}

/**
 * A service's transactional outbox in Nest (docs/adr/0004, 0012).
 */
@Module({})
export class OutboxModule {
  /**
   * The outbox of the service that owns `schema`, set up the same way in every database app:
   * the {@link UnitOfWork} that writes a change and its events together, the {@link OutboxWriter}
   * of `<schema>.outbox`, and the {@link OutboxRelay} that moves committed rows to their streams
   * (its transactions through `DatabaseModule`'s `Database`, Redis and key prefix from
   * `BusModule`), started after bootstrap and drained on shutdown. Needs `DatabaseModule` and
   * `BusModule` (both global).
   */
  static forSchema(schema: string, options: OutboxSchemaOptions = {}): DynamicModule {
    return {
      module: OutboxModule,
      global: options.global ?? true,
      providers: [
        { provide: OutboxWriter, useFactory: () => new OutboxWriter(schema) },
        {
          provide: OutboxRelay,
          inject: [Database, BUS_OPTIONS],
          useFactory: (database: Database, bus: BusModuleOptions) =>
            new OutboxRelay({
              runner: { transaction: (fn) => database.transaction(fn) },
              schema,
              redis: bus.redis,
              prefix: bus.prefix,
              ...(options.pollIntervalMs !== undefined
                ? { pollIntervalMs: options.pollIntervalMs }
                : {}),
            }),
        },
        OutboxRelayLifecycle,
        UnitOfWork,
      ],
      exports: [UnitOfWork, OutboxWriter, OutboxRelay],
    };
  }
}

export { UnitOfWork, type UnitOfWorkOptions, type UnitOfWorkTx } from './unit-of-work';
