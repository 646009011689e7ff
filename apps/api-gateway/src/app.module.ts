import { Module, type DynamicModule } from '@nestjs/common';
import { AuditModule } from '@gad/audit';
import { BusModule, OutboxModule } from '@gad/bus';
import { GeoReadModule } from '@gad/geo-read';
import { ConfigModule, DatabaseModule, RedisModule } from '@gad/platform';
import { API_GATEWAY_CONFIG, type ApiGatewayConfig } from './api-gateway.config';
import { AuditTrailModule } from './audit/audit-trail.module';
import { AuthModule } from './auth/auth.module';
import { EdgeModule } from './edge/edge.module';
import { IdentityModule } from './identity/identity.module';
import { DISPATCH_SCHEMA, dispatchMigrations } from './database/data-source';
import { DocsModule } from './docs/docs.module';
import { GeoModule } from './geo/geo.module';
import { IncidentsModule } from './incidents/incidents.module';
import { NotificationsModule } from './notifications/notifications.module';
import { RpcModule } from './rpc/rpc.module';
import { UnitsModule } from './units/units.module';
import { AssignmentsModule } from './assignments/assignments.module';
import { AcksModule } from './acks/acks.module';
import { AllCallsModule } from './all-calls/all-calls.module';
import { AgenciesModule } from './agencies/agencies.module';
import { CallsModule } from './calls/calls.module';
import { IncidentTypesModule } from './incident-types/incident-types.module';
import { NotesModule } from './notes/notes.module';
import { DispatchPlansModule } from './dispatch-plans/dispatch-plans.module';
import { IncidentLinksModule } from './incident-links/incident-links.module';
import { HazardsModule } from './hazards/hazards.module';
import { ReportsModule } from './reports/reports.module';
import { ReplayModule } from './replay/replay.module';

@Module({})
export class AppModule {
  static forRoot(config: ApiGatewayConfig, instanceId: string): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forApp(API_GATEWAY_CONFIG, config),
        DatabaseModule.forRoot({
          url: config.DATABASE_URL,
          schema: DISPATCH_SCHEMA,
          migrations: dispatchMigrations,
          migrationsRun: config.MIGRATIONS_AT_BOOT,
          poolSize: config.DATABASE_POOL_SIZE,
          statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
          applicationName: 'api-gateway',
          // Every request runs on this pool: a connection opened after a quiet spell costs the
          // request behind it a new backend (docs/adr/0044).
          keepIdleConnections: true,
        }),
        RedisModule.forRoot({
          url: config.REDIS_URL,
          keyPrefix: config.REDIS_KEY_PREFIX,
          commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
          maxRetriesPerRequest: 1,
          connectionName: 'api-gateway',
        }),
        BusModule.forRoot({
          redis: config.REDIS_URL,
          prefix: config.REDIS_KEY_PREFIX,
          instanceId,
          rpcTimeoutMs: config.RPC_TIMEOUT_MS,
          pubsubRpc: config.RPC_PUBSUB,
        }),
        // Global: the dispatch unit of work and identity write their events into it.
        OutboxModule.forSchema(DISPATCH_SCHEMA, {
          pollIntervalMs: config.OUTBOX_POLL_MS,
          coalesceMs: config.OUTBOX_COALESCE_MS,
        }),
        AuditModule.forRoot({
          service: 'api-gateway',
          redisUrl: config.REDIS_URL,
          keyPrefix: config.REDIS_KEY_PREFIX,
          interceptAudited: true,
          // Entries in the outbox, in the transaction of their change (docs/adr/0021).
          outbox: true,
        }),
        // Nearest units read here, on a read-only pool, instead of over RPC (docs/adr/0032).
        GeoReadModule.forRoot({
          url: config.GEO_READ_DATABASE_URL ?? config.DATABASE_URL,
          poolSize: config.GEO_READ_POOL_SIZE,
          statementTimeoutMs: config.GEO_READ_STATEMENT_TIMEOUT_MS,
          applicationName: 'api-gateway-geo-read',
          maxPositionAgeS: config.NEAREST_MAX_POSITION_AGE_S,
          exclusionScanLimit: config.NEAREST_EXCLUSION_SCAN_LIMIT,
        }),
        RpcModule,
        EdgeModule,
        IdentityModule,
        AuthModule,
        IncidentsModule,
        GeoModule,
        AuditTrailModule,
        DocsModule,
        NotificationsModule,
        UnitsModule,
        AssignmentsModule,
        AcksModule,
        HazardsModule,
        ReportsModule,
        ReplayModule,
        AllCallsModule,
        AgenciesModule,
        IncidentTypesModule,
        CallsModule,
        NotesModule,
        DispatchPlansModule,
        IncidentLinksModule,
      ],
    };
  }
}
