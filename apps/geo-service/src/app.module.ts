import { Module, type DynamicModule } from '@nestjs/common';
import { AuditModule } from '@gad/audit';
import { BusModule, OutboxModule } from '@gad/bus';
import { ConfigModule, DatabaseModule, CLOCK, systemClock } from '@gad/platform';
import {
  GEO_CONNECTION_SETTINGS,
  GEO_SCHEMA,
  GEO_WARM_UP_SQL,
  geoMigrations,
} from './database/data-source';
import { GEO_SERVICE_CONFIG, type GeoServiceConfig } from './geo-service.config';
import { GeofencesModule } from './geofences/geofences.module';
import { NearestModule } from './nearest/nearest.module';
import { PositionsModule } from './positions/positions.module';
import { RetentionModule } from './retention/retention.module';
import { UnitsModule } from './units/units.module';

@Module({})
export class AppModule {
  static forRoot(config: GeoServiceConfig, instanceId: string): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forApp(GEO_SERVICE_CONFIG, config, [
          { provide: CLOCK, useValue: systemClock },
        ]),
        DatabaseModule.forRoot({
          url: config.DATABASE_URL,
          schema: GEO_SCHEMA,
          migrations: geoMigrations,
          migrationsRun: config.MIGRATIONS_AT_BOOT,
          poolSize: config.DATABASE_POOL_SIZE,
          statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
          applicationName: 'geo-service',
          warmUpSql: GEO_WARM_UP_SQL,
          settings: GEO_CONNECTION_SETTINGS,
        }),
        BusModule.forRoot({
          redis: config.REDIS_URL,
          prefix: config.REDIS_KEY_PREFIX,
          instanceId,
        }),
        // Global: geofence events are written by the ingestion SQL and relayed to gad:geo:events.
        OutboxModule.forSchema(GEO_SCHEMA, {
          pollIntervalMs: config.OUTBOX_POLL_MS,
          coalesceMs: config.OUTBOX_COALESCE_MS,
        }),
        // Entries in the outbox, in the transaction of their change (docs/adr/0021).
        AuditModule.forRoot({
          service: 'geo-service',
          redisUrl: config.REDIS_URL,
          keyPrefix: config.REDIS_KEY_PREFIX,
          outbox: true,
        }),
        RetentionModule,
        UnitsModule,
        GeofencesModule,
        PositionsModule,
        NearestModule,
      ],
    };
  }
}
