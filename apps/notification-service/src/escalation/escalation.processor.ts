import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { createLogger } from '@gad/observability';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
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
export class EscalationProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = createLogger('escalation-processor');
  private worker: Worker<EscalationJob> | undefined;
  private connection: Redis | undefined;

  constructor(
    private readonly escalation: EscalationService,
    @Inject(NOTIFICATION_SERVICE_CONFIG) private readonly config: NotificationServiceConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.connection = new Redis(this.config.REDIS_URL, {
      maxRetriesPerRequest: null,
      connectionName: 'notify:escalation-worker',
    });
    this.connection.on('error', () => undefined);
    this.worker = new Worker<EscalationJob>(
      NotifyQueueNames.Escalation,
      (job) =>
        inJobTrace(
          `${NotifyQueueNames.Escalation} process`,
          job.data.traceparent,
          { 'gad.escalation.step': job.data.step, 'gad.agency.id': job.data.agencyId },
          () => this.escalation.fire(job.data),
        ),
      {
        connection: this.connection,
        prefix: notifyQueuePrefix(this.config.REDIS_KEY_PREFIX),
        concurrency: 8,
        // A step whose worker died is picked up again within seconds, not half a minute.
        lockDuration: 10_000,
        stalledInterval: 5_000,
      },
    );
    this.worker.on('error', (error) => this.logger.error({ error: error.message }, 'worker error'));
    this.worker.on('failed', (job, error) =>
      this.logger.warn(
        { jobId: job?.id, error: error.message },
        'escalation step failed; retrying',
      ),
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.worker?.close();
    this.worker = undefined;
    this.connection?.disconnect();
  }
}
