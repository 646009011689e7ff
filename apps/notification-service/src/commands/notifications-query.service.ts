import { Injectable } from '@nestjs/common';
import {
  uuidv7,
  type CommandNotification,
  type IncidentNotificationsResponse,
  type NotifyWebhookUpsertRequest,
} from '@gad/contracts';
import { CommandsRepository, type CommandRecord } from './commands.repository';
import { DeliveriesRepository } from './deliveries.repository';
import { EscalationsRepository } from './escalations.repository';
import { WebhooksRepository } from './webhooks.repository';

const iso = (date: Date | undefined): string | undefined => date?.toISOString();

function statusOf(command: CommandRecord): CommandNotification['status'] {
  if (command.acceptedAt) return 'accepted';
  if (command.declinedAt) return 'declined';
  if (command.seenAt) return 'seen';
  if (command.deliveredAt) return 'delivered';
  return 'issued';
}

/** What the dispatcher sees of an incident's commands; webhook subscriptions. */
@Injectable()
export class NotificationsQueryService {
  constructor(
    private readonly commands: CommandsRepository,
    private readonly deliveries: DeliveriesRepository,
    private readonly escalations: EscalationsRepository,
    private readonly webhooks: WebhooksRepository,
  ) {}

  async incidentNotifications(
    agencyId: string,
    incidentId: string,
  ): Promise<IncidentNotificationsResponse> {
    const commands = await this.commands.commandsOfIncident(agencyId, incidentId);
    const [deliveries, escalations] = await Promise.all([
      this.deliveries.deliveriesOfCommands(
        agencyId,
        commands.map((c) => c.commandId),
      ),
      this.escalations.escalationsOfIncident(agencyId, incidentId),
    ]);
    return {
      incidentId,
      items: commands.map((command) => {
        const stages = {
          delivered: iso(command.deliveredAt),
          seen: iso(command.seenAt),
          accepted: iso(command.acceptedAt),
          declined: iso(command.declinedAt),
        };
        return {
          commandId: command.commandId,
          assignmentId: command.assignmentId,
          unitId: command.unitId,
          userId: command.userId,
          priority: command.priority,
          critical: command.critical,
          status: statusOf(command),
          issuedAt: command.issuedAt.toISOString(),
          stages: Object.fromEntries(
            Object.entries(stages).filter(([, value]) => value !== undefined),
          ) as CommandNotification['stages'],
          ...(command.declineReason ? { declineReason: command.declineReason } : {}),
          escalations: escalations
            .filter((e) => e.assignmentId === command.assignmentId)
            .map((e) => ({
              step: e.step as 'undelivered' | 'unaccepted',
              firedAt: e.firedAt.toISOString(),
            })),
          deliveries: deliveries
            .filter((d) => d.commandId === command.commandId)
            .map((d) => ({
              channel: d.channel as CommandNotification['deliveries'][number]['channel'],
              target: d.target,
              attempt: d.attempt,
              outcome: d.outcome,
              ...(d.detail ? { detail: d.detail } : {}),
              at: d.at.toISOString(),
            })),
        };
      }),
    };
  }

  async upsertWebhook(request: NotifyWebhookUpsertRequest): Promise<{ webhookId: string }> {
    const webhookId = request.webhookId ?? uuidv7();
    await this.webhooks.upsertWebhook({ ...request, webhookId });
    return { webhookId };
  }
}
