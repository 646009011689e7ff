import {
  Inject,
  Logger,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { OutboxRelay, OutboxWriter } from '@gad/bus';
import { DataSource } from 'typeorm';
import { API_GATEWAY_CONFIG, type ApiGatewayConfig } from '../api-gateway.config';

export const DISPATCH_SCHEMA = 'dispatch';

/** The `dispatch.outbox` writer (used inside business transactions) and its relay to the streams. */
@Module({
  providers: [
    { provide: OutboxWriter, useValue: new OutboxWriter(DISPATCH_SCHEMA) },
    {
      provide: OutboxRelay,
      inject: [DataSource, API_GATEWAY_CONFIG],
      useFactory: (dataSource: DataSource, config: ApiGatewayConfig) =>
        new OutboxRelay({
          runner: { transaction: (fn) => dataSource.transaction((manager) => fn(manager)) },
          schema: DISPATCH_SCHEMA,
          redis: config.REDIS_URL,
          prefix: config.REDIS_KEY_PREFIX,
          pollIntervalMs: config.OUTBOX_POLL_MS,
          logger: new Logger('OutboxRelay'),
        }),
    },
  ],
  exports: [OutboxWriter, OutboxRelay],
})
export class OutboxModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(OutboxRelay) private readonly relay: OutboxRelay) {}

  onApplicationBootstrap(): void {
    this.relay.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay.stop();
  }
}
