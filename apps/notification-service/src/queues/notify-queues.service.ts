import { createHash } from 'node:crypto';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { currentTraceparent } from '@gad/observability';
import { redisClientFromUrl } from '@gad/platform';
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  NOTIFICATION_SERVICE_CONFIG,
  type NotificationServiceConfig,
} from '../notification-service.config';
import {
  NotifyQueueNames,
  type DeliveryChannel,
  type DeliveryJob,
  type EscalationJob,
  type EscalationStep,
} from './notify-jobs';

/**
 * BullMQ prefix for a deployment's Redis key prefix (`''` -> `{notify}`): the hash tag keeps each
 * queue's keys in one Redis Cluster slot, as BullMQ's scripts need.
 */
export const notifyQueuePrefix = (keyPrefix: string): string => `${keyPrefix}{notify}`;

/** The job data with the active trace, so the worker continues it. */
function withJobTrace<T extends { traceparent?: string }>(job: T): T {
  const traceparent = job.traceparent ?? currentTraceparent();
  return traceparent ? { ...job, traceparent } : job;
}

/** BullMQ job ids may not contain `:`. */
const safe = (value: string): string => value.replace(/[^A-Za-z0-9_-]/g, '-');
const shortHash = (value: string): string =>
  createHash('sha256').update(value).digest('hex').slice(0, 16);

const deliveryQueueOf: Record<DeliveryChannel, string> = {
  telegram: NotifyQueueNames.Telegram,
  webhook: NotifyQueueNames.Webhook,
  email: NotifyQueueNames.Email,
};

/**
 * The producer side of the queues. Job ids are deterministic, so scheduling the same step or
 * delivery twice (an event consumed twice, a step retried after a crash) adds one job; finished
 * jobs are kept for a day so a late duplicate still finds its id taken.
 */
@Injectable()
export class NotifyQueues implements OnApplicationShutdown {
  private readonly connection: Redis;
  private readonly queues = new Map<string, Queue>();

  constructor(
    @Inject(NOTIFICATION_SERVICE_CONFIG) private readonly config: NotificationServiceConfig,
  ) {
    this.connection = redisClientFromUrl(config.REDIS_URL, {
      maxRetriesPerRequest: 3,
      commandTimeout: 5_000,
      connectionName: 'notify:queues',
    });
    this.connection.on('error', () => undefined);
  }

  get prefix(): string {
    return notifyQueuePrefix(this.config.REDIS_KEY_PREFIX);
  }

  queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.prefix });
      queue.on('error', () => undefined);
      this.queues.set(name, queue);
    }
    return queue;
  }

  static escalationJobId(assignmentId: string, step: EscalationStep): string {
    return `esc_${safe(assignmentId)}_${step}`;
  }

  /** Adds delayed ladder steps in one round trip. */
  async scheduleEscalations(
    steps: readonly { job: EscalationJob; delayMs: number }[],
  ): Promise<void> {
    if (steps.length === 0) {
      return;
    }
    await this.queue(NotifyQueueNames.Escalation).addBulk(
      steps.map(({ job, delayMs }) => ({
        name: `escalation.${job.step}`,
        data: withJobTrace(job),
        opts: {
          ...this.kept(),
          jobId: NotifyQueues.escalationJobId(job.assignmentId, job.step),
          delay: delayMs,
          attempts: 10,
          backoff: { type: 'exponential', delay: 500 },
        },
      })),
    );
  }

  /**
   * Removes pending steps (a job that is running is locked and stays; it re-checks the state and
   * does nothing).
   */
  async cancelEscalation(assignmentId: string, steps: readonly EscalationStep[]): Promise<void> {
    const queue = this.queue(NotifyQueueNames.Escalation);
    await Promise.all(
      steps.map((step) =>
        queue.remove(NotifyQueues.escalationJobId(assignmentId, step)).catch(() => 0),
      ),
    );
  }

  /** `key` names the message (command + reason, or notice) so each target gets it once. */
  async enqueueDelivery(job: DeliveryJob, key: string): Promise<void> {
    await this.queue(deliveryQueueOf[job.channel]).add(
      `deliver.${job.channel}`,
      withJobTrace(job),
      {
        ...this.kept(),
        jobId: `${job.channel}_${safe(key)}_${shortHash(job.target)}`,
        attempts: this.config.DELIVERY_ATTEMPTS,
        backoff: { type: 'exponential', delay: this.config.DELIVERY_BACKOFF_MS },
      },
    );
  }

  private kept(): JobsOptions {
    return {
      removeOnComplete: { age: 86_400, count: 100_000 },
      removeOnFail: { age: 7 * 86_400, count: 100_000 },
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
    this.connection.disconnect();
  }
}
