import { Inject, Injectable } from '@nestjs/common';
import { AuditRecorder } from '@gad/audit';
import {
  uuidv7,
  type Envelope,
  type GeofenceEnteredV1,
  type IncidentCreatedV1,
} from '@gad/contracts';
import { UnitOfWork } from '@gad/bus';
import { createLogger, currentTraceId } from '@gad/observability';
import { CLOCK, type Clock } from '@gad/platform';
import { DeliveriesRepository } from '../commands/deliveries.repository';
import { WebhooksRepository } from '../commands/webhooks.repository';
import { notifyMetrics } from '../metrics/notify.metrics';
import { NotifyAuditActions, SERVICE_ACTOR } from '../notify.constants';
import { NotifyQueues } from '../queues/notify-queues.service';
import { outsideChannelsFor, type Recipient } from '../recipients/recipient';
import { NOTICE_ROLES, RecipientsService } from '../recipients/recipients.service';
import { templates, type Rendered } from '../templates/templates';
import { NoticesRepository } from './notices.repository';

type GeofenceTransition = 'entered' | 'exited' | 'dwell';

/** What every geofence event carries that a notice needs. */
export type GeofenceFacts = Pick<GeofenceEnteredV1, 'geofenceId' | 'geofenceName' | 'unitId'>;

/**
 * Notices (no acknowledgement): new incidents to the agency's dispatchers and supervisors,
 * geofence alerts to its dispatchers, on the outside channels each user chose. Quiet hours suppress
 * them (recorded as `suppressed`). The consoles already get both events live from ws-gateway.
 */
@Injectable()
export class NoticesService {
  private readonly logger = createLogger('dispatch-events');

  constructor(
    private readonly notices: NoticesRepository,
    private readonly deliveries: DeliveriesRepository,
    private readonly webhooks: WebhooksRepository,
    private readonly recipients: RecipientsService,
    private readonly queues: NotifyQueues,
    private readonly audit: AuditRecorder,
    private readonly unitOfWork: UnitOfWork,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async onIncidentCreated(envelope: Envelope<IncidentCreatedV1>): Promise<void> {
    this.logger.info(
      {
        eventId: envelope.id,
        type: envelope.type,
        agencyId: envelope.agencyId,
        incidentId: envelope.data.incidentId,
        priority: envelope.data.priority,
      },
      'incident notice prepared',
    );
    const data = envelope.data;
    await this.notify(
      envelope,
      [...NOTICE_ROLES],
      'incident',
      (locale) =>
        templates.incidentNotice(locale, {
          priority: data.priority,
          incidentType: data.type,
          ...(data.address ? { address: data.address } : {}),
        }),
      { incidentId: data.incidentId, priority: data.priority },
    );
  }

  async onGeofence(
    envelope: Envelope<GeofenceFacts>,
    transition: GeofenceTransition,
  ): Promise<void> {
    const data = envelope.data;
    await this.notify(
      envelope,
      ['dispatcher'],
      `geofence.${transition}`,
      (locale) =>
        templates.geofenceNotice(locale, {
          unitId: data.unitId,
          geofenceName: data.geofenceName,
          transition,
        }),
      { geofenceId: data.geofenceId, unitId: data.unitId, transition },
    );
  }

  private async notify(
    envelope: Envelope,
    roles: string[],
    kind: string,
    render: (locale: Recipient['locale']) => Rendered,
    facts: Record<string, unknown>,
  ): Promise<void> {
    const now = this.clock.now();
    const users = await this.recipients.onDutyWithRoles(envelope.agencyId, roles);
    const webhooks = await this.webhooks.activeWebhooks(envelope.agencyId);
    const traceId = currentTraceId();
    for (const user of users) {
      const text = render(user.locale);
      const outside = outsideChannelsFor(user, false, now);
      // The notice, a suppressed delivery and its audit entry commit together (docs/adr/0021).
      const { noticeId, suppressed } = await this.unitOfWork.run(async (tx) => {
        const fresh = await this.notices.insertNotice(
          envelope.agencyId,
          uuidv7(now.getTime()),
          envelope.id,
          user.userId,
          kind,
          tx.client,
        );
        const id = await this.notices.noticeIdOf(
          envelope.agencyId,
          envelope.id,
          user.userId,
          tx.client,
        );
        if (!id || !outside.suppressed || !fresh) {
          return { noticeId: id, suppressed: false };
        }
        await this.deliveries.insertDelivery(tx.client, {
          agencyId: envelope.agencyId,
          noticeId: id,
          channel: user.channels.find((c) => c !== 'in_app') ?? 'in_app',
          target: `user:${user.userId}`,
          attempt: 1,
          outcome: 'suppressed',
          detail: 'quiet hours',
          at: now,
        });
        this.audit.record({
          agencyId: envelope.agencyId,
          actor: SERVICE_ACTOR,
          action: NotifyAuditActions.NoticeSent,
          outcome: 'denied',
          reason: 'quiet hours',
          object: { type: 'notice', id },
          ...(traceId ? { traceId } : {}),
          details: { kind, userId: user.userId, sourceEventId: envelope.id },
        });
        return { noticeId: id, suppressed: true };
      });
      if (!noticeId) {
        continue;
      }
      if (suppressed) {
        notifyMetrics.deliveries.add(1, { channel: 'any', outcome: 'suppressed' });
      }
      for (const channel of outside.channels) {
        const target = channel === 'telegram' ? user.telegramChatId : user.email;
        if (target) {
          await this.queues.enqueueDelivery(
            { agencyId: envelope.agencyId, channel, target, noticeId, ...text },
            noticeId,
          );
        }
      }
    }
    for (const webhook of webhooks) {
      const text = render('en');
      await this.queues.enqueueDelivery(
        {
          agencyId: envelope.agencyId,
          channel: 'webhook',
          target: webhook.webhookId,
          ...text,
          event: { id: envelope.id, type: `notification.${kind}`, data: facts },
        },
        `${envelope.id}_notice`,
      );
    }
  }
}
