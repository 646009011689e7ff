import { Inject, Injectable } from '@nestjs/common';
import { AuditRecorder } from '@gad/audit';
import { UnitOfWork } from '@gad/bus';
import {
  AuditActions,
  EventTypes,
  Streams,
  createEnvelope,
  uuidv7,
  type AssignmentCreatedV1,
  type AssignmentUpdatedV1,
  type CommandAcknowledgedV1,
  type CommandIssuedV1,
  type Envelope,
  type IncidentStatusChangedV1,
} from '@gad/contracts';
import { createLogger, currentTraceId } from '@gad/observability';
import { CLOCK, type Clock } from '@gad/platform';
import { AgencySettingsCache } from '../escalation/agency-settings.service';
import { isCritical } from '../escalation/escalation-ladder';
import { notifyMetrics } from '../metrics/notify.metrics';
import { COMMAND_SINK, NotifyAuditActions, SERVICE_ACTOR } from '../notify.constants';
import { NotifyQueues } from '../queues/notify-queues.service';
import { outsideChannelsFor } from '../recipients/recipient';
import { RecipientsService } from '../recipients/recipients.service';
import { templates } from '../templates/templates';
import { AssignmentsRepository } from './assignments.repository';
import { CommandsRepository, type CommandRecord, type NewCommand } from './commands.repository';
import { DeliveriesRepository } from './deliveries.repository';
import { EscalationsRepository } from './escalations.repository';
import { WebhooksRepository } from './webhooks.repository';

/** Incident statuses that end every ladder of the incident. */
const ENDED_INCIDENT_STATUSES = new Set(['resolved', 'closed', 'cancelled']);

/** Assignment statuses after which nothing is escalated any more. */
const SETTLED_STATUSES = new Set(['accepted', 'declined', 'en_route', 'on_scene', 'cleared']);

/** The `command.issued` event of a stored command (the same on every re-send). */
export function commandIssuedOf(command: CommandRecord): CommandIssuedV1 {
  return {
    commandId: command.commandId,
    recipient: { kind: 'user', id: command.userId },
    kind: 'dispatch',
    critical: command.critical,
    assignmentId: command.assignmentId,
    incidentId: command.incidentId,
    title: command.title,
    body: command.body,
    locale: command.locale,
    payload: command.payload,
    issuedAt: command.issuedAt.toISOString(),
  };
}

/**
 * Turns assignments into commands to the unit's crew and follows them: stores each command, hands
 * it to ws-gateway through the outbox (`command.issued` on `gad:notify:outbound`), queues the outside
 * channels and the escalation ladder, and records what devices acknowledge.
 */
@Injectable()
export class CommandsService {
  private readonly logger = createLogger('commands');

  constructor(
    private readonly assignments: AssignmentsRepository,
    private readonly commands: CommandsRepository,
    private readonly escalations: EscalationsRepository,
    private readonly deliveries: DeliveriesRepository,
    private readonly webhooks: WebhooksRepository,
    private readonly recipients: RecipientsService,
    private readonly queues: NotifyQueues,
    private readonly unitOfWork: UnitOfWork,
    private readonly audit: AuditRecorder,
    private readonly agencySettings: AgencySettingsCache,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Idempotent: the unique (assignment, user) key means a second delivery of the event inserts and
   * publishes nothing; jobs are (re)queued under deterministic ids, so nothing is sent twice.
   */
  async onAssignmentCreated(envelope: Envelope<AssignmentCreatedV1>): Promise<void> {
    const { agencyId } = envelope;
    const a = envelope.data;
    const now = this.clock.now();
    const critical = isCritical(a.priority);
    const [crew, webhooks] = await Promise.all([
      this.recipients.resolveCrew(agencyId, a.unitId, a.crew),
      this.webhooks.activeWebhooks(agencyId),
    ]);
    const created: CommandRecord[] = [];

    const fresh = await this.unitOfWork.run(async (tx) => {
      created.length = 0;
      const candidates: NewCommand[] = crew.pageable.map((recipient) => ({
        commandId: uuidv7(now.getTime()),
        agencyId,
        assignmentId: a.assignmentId,
        incidentId: a.incidentId,
        unitId: a.unitId,
        userId: recipient.userId,
        priority: a.priority,
        critical,
        locale: recipient.locale,
        ...templates.command(recipient.locale, {
          priority: a.priority,
          incidentType: a.incidentType,
          unitId: a.unitId,
          coordinates: a.location.coordinates,
          ...(a.callSign ? { callSign: a.callSign } : {}),
          ...(a.address ? { address: a.address } : {}),
        }),
        payload: {
          priority: a.priority,
          incidentType: a.incidentType,
          location: a.location,
          ...(a.address ? { address: a.address } : {}),
          unitId: a.unitId,
          ...(a.callSign ? { callSign: a.callSign } : {}),
          ...(a.hazards && a.hazards.length > 0 ? { hazards: a.hazards } : {}),
        },
        issuedAt: now,
      }));
      // The assignment, its commands and their in-app delivery rows: one statement.
      const issued = await this.commands.issueAssignmentCommands(
        tx.client,
        {
          agencyId,
          assignmentId: a.assignmentId,
          incidentId: a.incidentId,
          unitId: a.unitId,
          priority: a.priority,
          createdAt: new Date(a.createdAt),
          critical,
          issuedAt: now,
        },
        candidates,
      );
      if (!issued.inserted) {
        return false;
      }
      created.push(...candidates.filter((c) => issued.commandIds.has(c.commandId)));
      tx.emit(
        COMMAND_SINK,
        created.map((command) =>
          createEnvelope({
            type: EventTypes.CommandIssued,
            agencyId,
            actor: SERVICE_ACTOR,
            data: commandIssuedOf(command),
            occurredAt: now,
          }),
        ),
      );
      if (crew.pageable.length === 0) {
        // Nobody can take it: tell the dispatcher at once so the unit can be replaced.
        await this.escalations.insertEscalation(
          tx.client,
          agencyId,
          a.assignmentId,
          'unaccepted',
          now,
        );
        tx.emit(
          Streams.NotifyEvents,
          createEnvelope({
            type: EventTypes.AssignmentUnacknowledged,
            agencyId,
            actor: SERVICE_ACTOR,
            occurredAt: now,
            data: {
              assignmentId: a.assignmentId,
              incidentId: a.incidentId,
              unitId: a.unitId,
              commandId: uuidv7(now.getTime()),
              waitedMs: 0,
            },
          }),
        );
        // The step commits with its entry, like every step of the ladder (docs/adr/0021).
        this.audit.record({
          agencyId,
          actor: SERVICE_ACTOR,
          action: NotifyAuditActions.Escalated,
          object: { type: 'assignment', id: a.assignmentId },
          reason: 'unaccepted',
          details: { step: 'unaccepted', priority: a.priority, unstaffed: true, waitedMs: 0 },
        });
      }
      // The audit entries commit with the commands they describe (docs/adr/0021).
      const traceId = currentTraceId();
      for (const command of created) {
        this.audit.record({
          agencyId,
          actor: SERVICE_ACTOR,
          action: NotifyAuditActions.CommandIssued,
          object: { type: 'command', id: command.commandId },
          ...(traceId ? { traceId } : {}),
          details: {
            assignmentId: a.assignmentId,
            incidentId: a.incidentId,
            unitId: a.unitId,
            userId: command.userId,
            priority: a.priority,
            sourceEventId: envelope.id,
          },
        });
      }
      for (const skipped of crew.skipped) {
        this.audit.record({
          agencyId,
          actor: SERVICE_ACTOR,
          action: NotifyAuditActions.CommandSkipped,
          object: { type: 'assignment', id: a.assignmentId },
          reason: skipped.reason,
          ...(traceId ? { traceId } : {}),
          details: { userId: skipped.userId, unitId: a.unitId, sourceEventId: envelope.id },
        });
      }
      return true;
    });

    for (const command of created) {
      notifyMetrics.commandsIssued.add(1, { priority: a.priority });
      this.logger.info(
        { commandId: command.commandId, assignmentId: a.assignmentId, userId: command.userId },
        'command issued',
      );
    }
    for (const skipped of crew.skipped) {
      notifyMetrics.recipientsSkipped.add(1, { reason: skipped.reason });
    }

    // Outside channels and the ladder: (re)queued on every delivery of the event, under fixed ids.
    const commands = fresh
      ? created
      : await this.commands.commandsOfAssignment(agencyId, a.assignmentId);
    const byUser = new Map(crew.pageable.map((r) => [r.userId, r]));
    for (const command of commands) {
      const recipient = byUser.get(command.userId);
      if (!recipient) {
        continue;
      }
      const outside = outsideChannelsFor(recipient, command.critical, command.issuedAt);
      for (const channel of outside.channels) {
        const target = channel === 'telegram' ? recipient.telegramChatId : recipient.email;
        if (target) {
          await this.queues.enqueueDelivery(
            {
              agencyId,
              channel,
              target,
              commandId: command.commandId,
              title: command.title,
              body: command.body,
            },
            `${command.commandId}_initial`,
          );
        }
      }
      if (outside.suppressed && created.some((c) => c.commandId === command.commandId)) {
        await this.deliveries.insertDelivery(undefined, {
          agencyId,
          commandId: command.commandId,
          channel: recipient.channels.find((c) => c !== 'in_app') ?? 'telegram',
          target: `user:${recipient.userId}`,
          attempt: 1,
          outcome: 'suppressed',
          detail: 'quiet hours',
          at: now,
        });
      }
    }
    if (commands.length > 0) {
      for (const webhook of webhooks) {
        await this.queues.enqueueDelivery(
          {
            agencyId,
            channel: 'webhook',
            target: webhook.webhookId,
            // Logged (and audited) against the first command of the assignment.
            commandId: (commands[0] as CommandRecord).commandId,
            title: commands[0]?.title ?? '',
            body: commands[0]?.body ?? '',
            event: {
              id: envelope.id,
              type: 'notification.command',
              data: {
                assignmentId: a.assignmentId,
                incidentId: a.incidentId,
                unitId: a.unitId,
                priority: a.priority,
                commandIds: commands.map((c) => c.commandId),
              },
            },
          },
          `${a.assignmentId}_assignment`,
        );
      }
      // A redelivered event re-queues the ladder (same job ids) unless the assignment is settled.
      const settled =
        !fresh && (await this.assignments.findAssignment(agencyId, a.assignmentId))?.settledAt;
      if (!settled) {
        // The agency's ladder for this priority (agency settings), else the deployment's.
        const ladder = await this.agencySettings.ladderFor(agencyId, a.priority);
        const elapsed = now.getTime() - (commands[0] as CommandRecord).issuedAt.getTime();
        const base = { agencyId, assignmentId: a.assignmentId, priority: a.priority };
        await this.queues.scheduleEscalations([
          ...(ladder.deliverMs > 0
            ? [
                {
                  job: { ...base, step: 'undelivered' as const },
                  delayMs: Math.max(0, ladder.deliverMs - elapsed),
                },
              ]
            : []),
          ...(ladder.acceptMs > 0
            ? [
                {
                  job: { ...base, step: 'unaccepted' as const },
                  delayMs: Math.max(0, ladder.acceptMs - elapsed),
                },
              ]
            : []),
        ]);
      }
    }
  }

  /**
   * A device reported a stage: record it, and stop the ladder on accept/decline. One transaction
   * of one statement and the audit entries (commands.repository.sql, `record_stage_*`): the
   * stage, the recipient logged in again, the settlement on accept/decline; then the ladder's
   * jobs that can no longer fire are removed. The next ack of the same command waits for this
   * handler (the ack's `orderKey`), so it is kept to that transaction and the job removal.
   */
  async onAcknowledged(envelope: Envelope<CommandAcknowledgedV1>): Promise<void> {
    const ack = envelope.data;
    const at = new Date(ack.receivedAt);
    // The stage, the settlement and their audit entries commit together (docs/adr/0021).
    const result = await this.unitOfWork.run(async (tx) => {
      const recorded = await this.commands.recordStage(
        {
          agencyId: envelope.agencyId,
          commandId: ack.commandId,
          stage: ack.stage,
          at,
          reason: ack.reason,
          userId: ack.userId,
          settledAt: this.clock.now(),
        },
        tx.client,
      );
      if (!recorded) {
        return recorded;
      }
      const { command } = recorded;
      const traceId = currentTraceId();
      if (recorded.changed) {
        this.audit.record({
          agencyId: envelope.agencyId,
          actor: { kind: 'user', id: ack.userId },
          action: AuditActions.CommandAcknowledged,
          object: { type: 'command', id: command.commandId },
          ...(ack.reason ? { reason: ack.reason } : {}),
          ...(traceId ? { traceId } : {}),
          details: {
            stage: ack.stage,
            assignmentId: command.assignmentId,
            unitId: command.unitId,
            receivedAt: ack.receivedAt,
            ...(ack.deviceId ? { deviceId: ack.deviceId } : {}),
          },
        });
      }
      if (recorded.settled) {
        this.audit.record({
          agencyId: envelope.agencyId,
          actor: SERVICE_ACTOR,
          action: NotifyAuditActions.EscalationCancelled,
          object: { type: 'assignment', id: command.assignmentId },
          reason: ack.stage,
          ...(traceId ? { traceId } : {}),
        });
      }
      return recorded;
    });
    if (!result) {
      this.logger.debug({ commandId: ack.commandId }, 'ack for an unknown command ignored');
      return;
    }
    const { command, changed } = result;
    if (changed) {
      notifyMetrics.ackLatency.record(Math.max(0, at.getTime() - command.issuedAt.getTime()), {
        stage: ack.stage,
        priority: command.priority,
      });
      this.logger.info(
        { commandId: command.commandId, stage: ack.stage, assignmentId: command.assignmentId },
        'command acknowledged',
      );
    }
    if (ack.stage === 'accepted' || ack.stage === 'declined') {
      await this.queues.cancelEscalation(command.assignmentId, ['undelivered', 'unaccepted']);
    } else if (result.allDelivered) {
      await this.queues.cancelEscalation(command.assignmentId, ['undelivered']);
    }
  }

  /** The dispatch side moved the assignment on (accepted for the unit, cleared, reassigned...). */
  async onAssignmentUpdated(envelope: Envelope<AssignmentUpdatedV1>): Promise<void> {
    if (SETTLED_STATUSES.has(envelope.data.status)) {
      await this.settle(envelope.agencyId, envelope.data.assignmentId, envelope.data.status);
    }
  }

  /** An incident that ended (resolved, closed, cancelled) stops the ladders of its assignments. */
  async onIncidentStatusChanged(envelope: Envelope<IncidentStatusChangedV1>): Promise<void> {
    if (!ENDED_INCIDENT_STATUSES.has(envelope.data.status)) {
      return;
    }
    const assignments = await this.assignments.unsettledAssignmentsOfIncident(
      envelope.agencyId,
      envelope.data.incidentId,
    );
    for (const assignmentId of assignments) {
      await this.settle(envelope.agencyId, assignmentId, `incident ${envelope.data.status}`);
    }
  }

  private async settle(agencyId: string, assignmentId: string, reason: string): Promise<void> {
    // The settlement and its audit entry commit together (docs/adr/0021).
    await this.unitOfWork.run(async (tx) => {
      const settled = await this.assignments.settleAssignment(
        agencyId,
        assignmentId,
        reason,
        this.clock.now(),
        tx.client,
      );
      if (settled) {
        const traceId = currentTraceId();
        this.audit.record({
          agencyId,
          actor: SERVICE_ACTOR,
          action: NotifyAuditActions.EscalationCancelled,
          object: { type: 'assignment', id: assignmentId },
          reason,
          ...(traceId ? { traceId } : {}),
        });
      }
    });
    await this.queues.cancelEscalation(assignmentId, ['undelivered', 'unaccepted']);
  }
}
