import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Database } from '@gad/platform';
import { Pool } from 'pg';
import { BUS_OPTIONS, type BusModuleOptions } from './bus.module';
import { OutboxRelay, pgPoolTransactionRunner } from './outbox.relay';
import { OutboxWriter } from './outbox.writer';
import { UnitOfWork } from './unit-of-work';

export interface OutboxSchemaOptions {
  /** Relay poll period when idle (the app's `OUTBOX_POLL_MS`). Default 500 ms. */
  pollIntervalMs?: number;
  /** See `OutboxRelayOptions.coalesceMs` (default 0: off). */
  coalesceMs?: number;
  /** Register globally (default true: one outbox per service, used by every feature module). */
  global?: boolean;
}

/** The relay's own database connection (see {@link OutboxModule.forSchema}). */
const OUTBOX_RELAY_POOL = Symbol('OUTBOX_RELAY_POOL');

@Injectable()
class OutboxRelayLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(OutboxRelay) private readonly relay: OutboxRelay,
    @Inject(OUTBOX_RELAY_POOL) private readonly pool: Pool,
  ) {}

  onApplicationBootstrap(): void {
    this.relay.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay.stop();
    await this.pool.end();
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
   * (its transactions on a connection of its own, opened with the options of `DatabaseModule`'s
   * pool, so a relay pass never queues behind the service's handlers for a pooled connection nor
   * holds one of them while it delivers; Redis and key prefix from `BusModule`), started after
   * bootstrap and drained on shutdown. Needs `DatabaseModule` and `BusModule` (both global).
   */
  static forSchema(schema: string, options: OutboxSchemaOptions = {}): DynamicModule {
    return {
      module: OutboxModule,
      global: options.global ?? true,
      providers: [
        { provide: OutboxWriter, useFactory: () => new OutboxWriter(schema) },
        {
          provide: OUTBOX_RELAY_POOL,
          inject: [Database],
          useFactory: (database: Database) =>
            new Pool({ ...database.pool.options, max: 1, min: 0 }),
        },
        {
          provide: OutboxRelay,
          inject: [OUTBOX_RELAY_POOL, BUS_OPTIONS],
          useFactory: (pool: Pool, bus: BusModuleOptions) =>
            new OutboxRelay({
              // A pass commits only the marks of rows it delivered: no WAL flush wait (a mark
              // lost to a PostgreSQL crash means a redelivery, never a loss; docs/adr/0033).
              runner: pgPoolTransactionRunner(pool, { synchronousCommit: false }),
              schema,
              redis: bus.redis,
              prefix: bus.prefix,
              ...(options.pollIntervalMs !== undefined
                ? { pollIntervalMs: options.pollIntervalMs }
                : {}),
              ...(options.coalesceMs !== undefined ? { coalesceMs: options.coalesceMs } : {}),
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
