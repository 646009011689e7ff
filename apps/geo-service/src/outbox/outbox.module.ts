import {
  Inject,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { OutboxRelay } from '@gad/bus';
import { DataSource } from 'typeorm';
import { GEO_SCHEMA } from '../database/data-source';
import { GEO_SERVICE_CONFIG, type GeoServiceConfig } from '../geo-service.config';
import { GeoOutbox } from './geo-outbox.service';

/** Relays `geo.outbox` (geofence events) to `gad:geo:events`. */
@Module({
  providers: [
    {
      provide: OutboxRelay,
      inject: [DataSource, GEO_SERVICE_CONFIG],
      useFactory: (dataSource: DataSource, config: GeoServiceConfig) =>
        new OutboxRelay({
          runner: { transaction: (fn) => dataSource.transaction((manager) => fn(manager)) },
          schema: GEO_SCHEMA,
          redis: config.REDIS_URL,
          prefix: config.REDIS_KEY_PREFIX,
          pollIntervalMs: config.OUTBOX_POLL_MS,
        }),
    },
    GeoOutbox,
  ],
  exports: [GeoOutbox],
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
