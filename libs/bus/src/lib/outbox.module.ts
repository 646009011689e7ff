import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type ModuleMetadata,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { OutboxRelay, type OutboxRelayOptions } from './outbox.relay';
import { OutboxWriter } from './outbox.writer';

export interface OutboxModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  inject?: Array<string | symbol | (abstract new (...args: never[]) => unknown)>;
  useFactory: (...args: never[]) => OutboxRelayOptions | Promise<OutboxRelayOptions>;
}

const OUTBOX_OPTIONS = Symbol('OUTBOX_OPTIONS');

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
 * A service's transactional outbox in Nest: provides the {@link OutboxWriter} of `<schema>.outbox`
 * (use it inside business transactions) and the {@link OutboxRelay} that moves committed rows to
 * their streams, started after bootstrap and drained on shutdown.
 */
@Module({})
export class OutboxModule {
  static forRootAsync(options: OutboxModuleAsyncOptions): DynamicModule {
    return {
      module: OutboxModule,
      imports: options.imports ?? [],
      providers: [
        { provide: OUTBOX_OPTIONS, inject: options.inject ?? [], useFactory: options.useFactory },
        {
          provide: OutboxWriter,
          inject: [OUTBOX_OPTIONS],
          useFactory: (relayOptions: OutboxRelayOptions) => new OutboxWriter(relayOptions.schema),
        },
        {
          provide: OutboxRelay,
          inject: [OUTBOX_OPTIONS],
          useFactory: (relayOptions: OutboxRelayOptions) => new OutboxRelay(relayOptions),
        },
        OutboxRelayLifecycle,
      ],
      exports: [OutboxWriter, OutboxRelay],
    };
  }
}
