import { Inject, Injectable } from '@nestjs/common';
import { QueueProcessor, type QueueConnectionOptions, type QueueWorkerSpec } from '@gad/platform';
import type { Job } from 'bullmq';
import {
  NOTIFICATION_SERVICE_CONFIG,
  type NotificationServiceConfig,
} from '../notification-service.config';
import { notifyQueuePrefix } from '../queues/notify-queues.service';
import {
  ALL_CALL_ESCALATION_QUEUE,
  AllCallEscalationService,
  type AllCallEscalationJob,
} from './all-call-escalation.service';

/** Runs due all-call ladder steps (delayed jobs on `notify-all-call-escalation`). */
@Injectable()
export class AllCallEscalationProcessor extends QueueProcessor {
  constructor(
    private readonly escalation: AllCallEscalationService,
    @Inject(NOTIFICATION_SERVICE_CONFIG) private readonly config: NotificationServiceConfig,
  ) {
    super('all-call-escalation-processor');
  }

  protected connectionOptions(): QueueConnectionOptions {
    return {
      redisUrl: this.config.REDIS_URL,
      prefix: notifyQueuePrefix(this.config.REDIS_KEY_PREFIX),
      connectionName: 'notify:all-call-escalation-worker',
    };
  }

  protected queues(): QueueWorkerSpec<AllCallEscalationJob>[] {
    return [
      {
        queue: ALL_CALL_ESCALATION_QUEUE,
        process: (job: Job<AllCallEscalationJob>) => this.escalation.fire(job.data),
        options: { concurrency: 4, lockDuration: 10_000, stalledInterval: 5_000 },
        logFailedAs: 'warn',
      },
    ];
  }
}
