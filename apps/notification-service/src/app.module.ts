import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { AuditModule } from '@gad/audit';
import { BusModule, OutboxModule } from '@gad/bus';
import { DatabaseModule, CLOCK, systemClock, type Clock } from '@gad/platform';
import { DataSource } from 'typeorm';
import { AcksHandler } from './acks/acks.handler';
import { DeliveryProcessor } from './channels/delivery.processor';
import { DeliveryService } from './channels/delivery.service';
import { EmailChannel } from './channels/email.channel';
import { TelegramChannel } from './channels/telegram.channel';
import { WebhookChannel } from './channels/webhook.channel';
import { CommandsRepository } from './commands/commands.repository';
import { CommandsService } from './commands/commands.service';
import { NotificationsQueryService } from './commands/notifications-query.service';
import { NOTIFY_SCHEMA, notifyMigrations } from './database/data-source';
import { DispatchEventsHandler } from './dispatch-events/dispatch-events.handler';
import { EscalationProcessor } from './escalation/escalation.processor';
import { EscalationService } from './escalation/escalation.service';
import { GeoEventsHandler } from './geo-events/geo-events.handler';
import { NoticesService } from './notices/notices.service';
import {
  NOTIFICATION_SERVICE_CONFIG,
  type NotificationServiceConfig,
} from './notification-service.config';
import { NotifyQueues } from './queues/notify-queues.service';
import { RecipientsRepository } from './recipients/recipients.repository';
import { RecipientsService } from './recipients/recipients.service';
import { NotifyHandler } from './rpc/notify.handler';

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
        {
          module: class NotifyConfigModule {},
          global: true,
          providers: [
            { provide: NOTIFICATION_SERVICE_CONFIG, useValue: config },
            { provide: CLOCK, useValue: options.clock ?? systemClock },
          ],
          exports: [NOTIFICATION_SERVICE_CONFIG, CLOCK],
        },
        DatabaseModule.forRoot({
          url: config.DATABASE_URL,
          schema: NOTIFY_SCHEMA,
          migrations: notifyMigrations,
          migrationsRun: true,
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
        }),
        OutboxModule.forRootAsync({
          inject: [DataSource],
          useFactory: (dataSource: DataSource) => ({
            runner: { transaction: (fn) => dataSource.transaction((manager) => fn(manager)) },
            schema: NOTIFY_SCHEMA,
            redis: config.REDIS_URL,
            prefix: config.REDIS_KEY_PREFIX,
            pollIntervalMs: config.OUTBOX_POLL_MS,
            logger: new Logger('OutboxRelay'),
          }),
        }),
      ],
      controllers: [DispatchEventsHandler, GeoEventsHandler, AcksHandler, NotifyHandler],
      providers: [
        RecipientsRepository,
        RecipientsService,
        CommandsRepository,
        CommandsService,
        NotificationsQueryService,
        NoticesService,
        NotifyQueues,
        EscalationService,
        EscalationProcessor,
        TelegramChannel,
        WebhookChannel,
        EmailChannel,
        DeliveryService,
        DeliveryProcessor,
      ],
    };
  }
}
