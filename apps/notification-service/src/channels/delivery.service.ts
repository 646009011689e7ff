import { Inject, Injectable } from '@nestjs/common';
import { AuditRecorder } from '@gad/audit';
import { AuditActions } from '@gad/contracts';
import { createLogger } from '@gad/observability';
import { UnitOfWork } from '@gad/bus';
import { CLOCK, type Clock, type SqlClient } from '@gad/platform';
import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import { DeliveriesRepository } from '../commands/deliveries.repository';
import { exportNotifyMetricsFromStart, notifyMetrics } from '../metrics/notify.metrics';
import {
  NOTIFICATION_SERVICE_CONFIG,
  type NotificationServiceConfig,
} from '../notification-service.config';
import { NotifyAuditActions, SERVICE_ACTOR } from '../notify.constants';
import type { DeliveryChannel, DeliveryJob } from '../queues/notify-jobs';
import { WebhookSecretUnreadableError, WebhooksService } from '../webhooks/webhooks.service';
import { PermanentDeliveryError } from './channel.errors';
import { EmailChannel } from './email.channel';
import { TelegramChannel } from './telegram.channel';
import { WebhookChannel } from './webhook.channel';

export type DeliveryResult = 'sent' | 'retry' | 'failed';

/**
 * Sends one queued message on its channel, each channel behind its own circuit breaker (an open
 * circuit fails the attempt at once; the job is retried with backoff), and logs every attempt in
 * `notify.deliveries`. Channels run on separate queues and workers, so one failing never delays
 * another.
 */
@Injectable()
export class DeliveryService {
  private readonly logger = createLogger('delivery');
  private readonly breakers: Record<DeliveryChannel, CircuitBreakerPolicy>;

  constructor(
    private readonly deliveries: DeliveriesRepository,
    private readonly webhooks: WebhooksService,
    private readonly telegram: TelegramChannel,
    private readonly webhook: WebhookChannel,
    private readonly email: EmailChannel,
    private readonly audit: AuditRecorder,
    private readonly unitOfWork: UnitOfWork,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(NOTIFICATION_SERVICE_CONFIG) config: NotificationServiceConfig,
  ) {
    exportNotifyMetricsFromStart();
    const breaker = (channel: DeliveryChannel): CircuitBreakerPolicy => {
      const policy = circuitBreaker(
        handleWhen((error) => !(error instanceof PermanentDeliveryError)),
        {
          halfOpenAfter: config.BREAKER_HALF_OPEN_AFTER_MS,
          breaker: new ConsecutiveBreaker(config.BREAKER_THRESHOLD),
        },
      );
      policy.onBreak(() => this.logger.warn({ channel }, 'channel circuit opened'));
      policy.onReset(() => this.logger.info({ channel }, 'channel circuit closed'));
      return policy;
    };
    this.breakers = {
      telegram: breaker('telegram'),
      webhook: breaker('webhook'),
      email: breaker('email'),
    };
  }

  /** One attempt (`attempt` of `maxAttempts`); throws nothing, tells the caller what to do. */
  async deliver(job: DeliveryJob, attempt: number, maxAttempts: number): Promise<DeliveryResult> {
    const log = async (
      outcome: 'sent' | 'failed' | 'retrying',
      detail?: string,
      client?: SqlClient,
    ) => {
      notifyMetrics.deliveries.add(1, { channel: job.channel, outcome });
      await this.deliveries.insertDelivery(client, {
        agencyId: job.agencyId,
        ...(job.commandId ? { commandId: job.commandId } : {}),
        ...(job.noticeId ? { noticeId: job.noticeId } : {}),
        channel: job.channel,
        target: job.channel === 'webhook' ? `webhook:${job.target}` : job.target,
        attempt,
        outcome,
        ...(detail ? { detail } : {}),
        at: this.clock.now(),
      });
    };
    try {
      const detail = await this.breakers[job.channel].execute(() => this.send(job, log));
      // The delivery record and its audit entry commit together (docs/adr/0021).
      await this.unitOfWork.run(async (tx) => {
        await log('sent', detail, tx.client);
        this.audited(job, 'success', attempt);
      });
      return 'sent';
    } catch (error) {
      const message =
        error instanceof BrokenCircuitError
          ? `${job.channel} circuit open`
          : (error as Error).message;
      if (error instanceof PermanentDeliveryError || attempt >= maxAttempts) {
        await this.unitOfWork.run(async (tx) => {
          await log('failed', message, tx.client);
          this.audited(job, 'failed', attempt, message);
        });
        this.logger.warn({ channel: job.channel, attempt, error: message }, 'delivery failed');
        return 'failed';
      }
      await log('retrying', message);
      return 'retry';
    }
  }

  private async send(
    job: DeliveryJob,
    log: (outcome: 'retrying', detail: string) => Promise<void>,
  ): Promise<string | undefined> {
    switch (job.channel) {
      case 'telegram':
        await this.telegram.send(job.target, `${job.title}\n${job.body}`, (retryAfterS) =>
          log('retrying', `429 retry_after=${retryAfterS}s`),
        );
        return undefined;
      case 'email':
        await this.email.send(job.target, job.title, job.body);
        return undefined;
      case 'webhook': {
        const webhook = await this.webhooks.deliverable(job.agencyId, job.target).catch((error) => {
          throw error instanceof WebhookSecretUnreadableError
            ? new PermanentDeliveryError(`webhook secret unreadable: ${error.message}`)
            : error;
        });
        if (!webhook || !webhook.active) {
          throw new PermanentDeliveryError('webhook removed or inactive');
        }
        const event = job.event ?? {
          id: job.commandId ?? job.noticeId ?? 'notice',
          type: 'notification',
          data: {},
        };
        const status = await this.webhook.send(
          webhook,
          event.id,
          { ...event, agencyId: job.agencyId, title: job.title, body: job.body },
          this.clock.now(),
        );
        return `http ${status}`;
      }
    }
  }

  private audited(
    job: DeliveryJob,
    outcome: 'success' | 'failed',
    attempt: number,
    reason?: string,
  ): void {
    this.audit.record({
      agencyId: job.agencyId,
      actor: SERVICE_ACTOR,
      action: job.commandId ? AuditActions.CommandDelivered : NotifyAuditActions.NoticeSent,
      outcome,
      object: job.commandId
        ? { type: 'command', id: job.commandId }
        : { type: 'notice', ...(job.noticeId ? { id: job.noticeId } : {}) },
      ...(reason ? { reason } : {}),
      details: { channel: job.channel, attempt },
    });
  }
}
