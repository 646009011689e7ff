import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { createLogger } from '@gad/observability';
import { UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import {
  NOTIFICATION_SERVICE_CONFIG,
  type NotificationServiceConfig,
} from '../notification-service.config';
import { NotifyQueueNames, type DeliveryJob } from '../queues/notify-jobs';
import { inJobTrace } from '../queues/job-trace';
import { notifyQueuePrefix } from '../queues/notify-queues.service';
import { DeliveryService } from './delivery.service';

/** One BullMQ worker per outside channel (`notify-telegram`, `notify-webhook`, `notify-email`). */
@Injectable()
export class DeliveryProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = createLogger('delivery-processor');
  private readonly workers: Worker<DeliveryJob>[] = [];
  private connection: Redis | undefined;

  constructor(
    private readonly delivery: DeliveryService,
    @Inject(NOTIFICATION_SERVICE_CONFIG) private readonly config: NotificationServiceConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.connection = new Redis(this.config.REDIS_URL, {
      maxRetriesPerRequest: null,
      connectionName: 'notify:delivery-workers',
    });
    this.connection.on('error', () => undefined);
    for (const name of [
      NotifyQueueNames.Telegram,
      NotifyQueueNames.Webhook,
      NotifyQueueNames.Email,
    ]) {
      const worker = new Worker<DeliveryJob>(
        name,
        async (job) => {
          const result = await inJobTrace(
            `${name} process`,
            job.data.traceparent,
            { 'gad.channel': job.data.channel, 'gad.agency.id': job.data.agencyId },
            () => this.delivery.deliver(job.data, job.attemptsMade + 1, job.opts.attempts ?? 1),
          );
          if (result === 'failed') {
            throw new UnrecoverableError('delivery failed');
          }
          if (result === 'retry') {
            throw new Error('delivery will be retried');
          }
        },
        {
          connection: this.connection,
          prefix: notifyQueuePrefix(this.config.REDIS_KEY_PREFIX),
          concurrency: this.config.DELIVERY_CONCURRENCY,
        },
      );
      worker.on('error', (error) =>
        this.logger.error({ queue: name, error: error.message }, 'worker error'),
      );
      this.workers.push(worker);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.workers.splice(0).map((w) => w.close()));
    this.connection?.disconnect();
  }
}
