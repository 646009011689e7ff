import { Inject, Injectable } from '@nestjs/common';
import { QueueProcessor, type QueueConnectionOptions, type QueueWorkerSpec } from '@gad/platform';
import type { Job } from 'bullmq';
import {
  NOTIFICATION_SERVICE_CONFIG,
  type NotificationServiceConfig,
} from '../notification-service.config';
import { NotifyQueueNames, type EscalationJob } from '../queues/notify-jobs';
import { inJobTrace } from '../queues/job-trace';
import { notifyQueuePrefix } from '../queues/notify-queues.service';
import { EscalationService } from './escalation.service';

/** Runs due ladder steps (delayed jobs on `notify-escalation`, kept in Redis across restarts). */
@Injectable()
export class EscalationProcessor extends QueueProcessor {
  constructor(
    private readonly escalation: EscalationService,
    @Inject(NOTIFICATION_SERVICE_CONFIG) private readonly config: NotificationServiceConfig,
  ) {
    super('escalation-processor');
  }

  protected connectionOptions(): QueueConnectionOptions {
    return {
      redisUrl: this.config.REDIS_URL,
      prefix: notifyQueuePrefix(this.config.REDIS_KEY_PREFIX),
      connectionName: 'notify:escalation-worker',
    };
  }

  protected queues(): QueueWorkerSpec<EscalationJob>[] {
    return [
      {
        queue: NotifyQueueNames.Escalation,
        process: (job: Job<EscalationJob>) =>
          inJobTrace(
            `${NotifyQueueNames.Escalation} process`,
            job.data.traceparent,
            { 'gad.escalation.step': job.data.step, 'gad.agency.id': job.data.agencyId },
            () => this.escalation.fire(job.data),
          ),
        options: {
          concurrency: 8,
          // A step whose worker died is picked up again within seconds, not half a minute.
          lockDuration: 10_000,
          stalledInterval: 5_000,
        },
        // A failed step is retried (attempts: 10); each failure is worth a warning.
        logFailedAs: 'warn',
      },
    ];
  }
}
