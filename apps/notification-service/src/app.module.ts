import { Module, type DynamicModule } from '@nestjs/common';
import { AuditModule } from '@gad/audit';
import { BusModule, OutboxModule } from '@gad/bus';
import { ConfigModule, DatabaseModule, CLOCK, systemClock, type Clock } from '@gad/platform';
import { AcksModule } from './acks/acks.module';
import { ChannelsModule } from './channels/channels.module';
import { CommandsModule } from './commands/commands.module';
import { ContactsModule } from './contacts/contacts.module';
import { NOTIFY_SCHEMA, notifyMigrations } from './database/data-source';
import { DispatchEventsModule } from './dispatch-events/dispatch-events.module';
import { EscalationModule } from './escalation/escalation.module';
import { GeoEventsModule } from './geo-events/geo-events.module';
import { NoticesModule } from './notices/notices.module';
import {
  NOTIFICATION_SERVICE_CONFIG,
  type NotificationServiceConfig,
} from './notification-service.config';
import { AllCallsModule } from './all-calls/all-calls.module';
import { QueuesModule } from './queues/queues.module';
import { RecipientsModule } from './recipients/recipients.module';
import { WebhooksModule } from './webhooks/webhooks.module';

export interface NotificationServiceModuleOptions {
  /** Tests substitute a clock. */
  clock?: Clock;
}

@Module({})
export class AppModule {
  static forRoot(
    config: NotificationServiceConfig,
    instanceId: string,
    options: NotificationServiceModuleOptions = {},
  ): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forApp(NOTIFICATION_SERVICE_CONFIG, config, [
          { provide: CLOCK, useValue: options.clock ?? systemClock },
        ]),
        DatabaseModule.forRoot({
          url: config.DATABASE_URL,
          schema: NOTIFY_SCHEMA,
          migrations: notifyMigrations,
          migrationsRun: config.MIGRATIONS_AT_BOOT,
          poolSize: config.DATABASE_POOL_SIZE,
          statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
          applicationName: 'notification-service',
        }),
        BusModule.forRoot({
          redis: config.REDIS_URL,
          prefix: config.REDIS_KEY_PREFIX,
          instanceId,
        }),
        AuditModule.forRoot({
          service: 'notification-service',
          redisUrl: config.REDIS_URL,
          keyPrefix: config.REDIS_KEY_PREFIX,
          // Entries in the outbox, in the transaction of their change (docs/adr/0021).
          outbox: true,
        }),
        // Global: the commands and the escalation ladder write events into it.
        OutboxModule.forSchema(NOTIFY_SCHEMA, {
          pollIntervalMs: config.OUTBOX_POLL_MS,
          coalesceMs: config.OUTBOX_COALESCE_MS,
        }),
        // The features; each folder under src/ is one module.
        RecipientsModule,
        QueuesModule,
        CommandsModule,
        NoticesModule,
        EscalationModule,
        ChannelsModule,
        DispatchEventsModule,
        GeoEventsModule,
        AcksModule,
        AllCallsModule,
        WebhooksModule,
        ContactsModule,
      ],
    };
  }
}
