import { Inject, Injectable } from '@nestjs/common';
import { QueueProcessor, type QueueConnectionOptions, type QueueWorkerSpec } from '@gad/platform';
import { UnrecoverableError, type Job } from 'bullmq';
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
export class DeliveryProcessor extends QueueProcessor {
  constructor(
    private readonly delivery: DeliveryService,
    @Inject(NOTIFICATION_SERVICE_CONFIG) private readonly config: NotificationServiceConfig,
  ) {
    super('delivery-processor');
  }

  protected connectionOptions(): QueueConnectionOptions {
    return {
      redisUrl: this.config.REDIS_URL,
      prefix: notifyQueuePrefix(this.config.REDIS_KEY_PREFIX),
      connectionName: 'notify:delivery-workers',
    };
  }

  protected queues(): QueueWorkerSpec<DeliveryJob>[] {
    return [NotifyQueueNames.Telegram, NotifyQueueNames.Webhook, NotifyQueueNames.Email].map(
      (queue) => ({
        queue,
        process: (job: Job<DeliveryJob>) => this.process(queue, job),
        options: { concurrency: this.config.DELIVERY_CONCURRENCY },
      }),
    );
  }

  private async process(queue: string, job: Job<DeliveryJob>): Promise<void> {
    const result = await inJobTrace(
      `${queue} process`,
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
  }
}
