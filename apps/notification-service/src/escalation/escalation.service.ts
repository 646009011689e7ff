import { Inject, Injectable } from '@nestjs/common';
import { AuditRecorder } from '@gad/audit';
import { UnitOfWork, type UnitOfWorkTx } from '@gad/bus';
import {
  EventTypes,
  Streams,
  createEnvelope,
  uuidv7,
  type AssignmentUnacknowledgedV1,
} from '@gad/contracts';
import { createLogger, currentTraceId } from '@gad/observability';
import { CLOCK, type Clock } from '@gad/platform';
import { commandIssuedOf } from '../commands/commands.service';
import { AssignmentsRepository } from '../commands/assignments.repository';
import { CommandsRepository, type CommandRecord } from '../commands/commands.repository';
import { DeliveriesRepository } from '../commands/deliveries.repository';
import { EscalationsRepository } from '../commands/escalations.repository';
import { notifyMetrics } from '../metrics/notify.metrics';
import { COMMAND_SINK, NotifyAuditActions, SERVICE_ACTOR } from '../notify.constants';
import type { EscalationJob } from '../queues/notify-jobs';
import { NotifyQueues } from '../queues/notify-queues.service';
import { linkedChannels, type Recipient } from '../recipients/recipient';
import { RecipientsService } from '../recipients/recipients.service';
import { templates } from '../templates/templates';
import { AgencySettingsCache } from './agency-settings.service';

export type EscalationOutcome = 'fired' | 'already_fired' | 'not_needed' | 'unknown_assignment';

/**
 * Fires one ladder step when its delayed job comes due. The step is recorded in `notify.escalations`
 * in the same transaction as the events it emits (outbox), so a step retried after a crash emits
 * nothing twice; outside messages are queued under fixed job ids after the commit, every time.
 */
@Injectable()
export class EscalationService {
  private readonly logger = createLogger('escalation');

  constructor(
    private readonly assignments: AssignmentsRepository,
    private readonly commands: CommandsRepository,
    private readonly escalations: EscalationsRepository,
    private readonly deliveries: DeliveriesRepository,
    private readonly recipients: RecipientsService,
    private readonly queues: NotifyQueues,
    private readonly unitOfWork: UnitOfWork,
    private readonly audit: AuditRecorder,
    private readonly agencySettings: AgencySettingsCache,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async fire(job: EscalationJob): Promise<EscalationOutcome> {
    const assignment = await this.assignments.findAssignment(job.agencyId, job.assignmentId);
    if (!assignment) {
      return 'unknown_assignment';
    }
    const commands = await this.commands.commandsOfAssignment(job.agencyId, job.assignmentId);
    const answered = commands.some((c) => c.acceptedAt || c.declinedAt);
    if (assignment.settledAt || answered || commands.length === 0) {
      return 'not_needed';
    }
    const now = this.clock.now();
    return job.step === 'undelivered'
      ? this.undelivered(job, commands, now)
      : this.unaccepted(job, commands, now, now.getTime() - assignment.createdAt.getTime());
  }

  /** Not delivered in time: re-send the same commands in-app and add Telegram. */
  private async undelivered(
    job: EscalationJob,
    commands: CommandRecord[],
    now: Date,
  ): Promise<EscalationOutcome> {
    const pending = commands.filter((c) => !c.deliveredAt);
    if (pending.length === 0) {
      return 'not_needed';
    }
    const fresh = await this.unitOfWork.run(async (tx) => {
      if (!(await this.recordStep(tx, job, now))) {
        return false;
      }
      tx.emit(
        COMMAND_SINK,
        pending.map((command) =>
          createEnvelope({
            type: EventTypes.CommandIssued,
            agencyId: job.agencyId,
            actor: SERVICE_ACTOR,
            data: commandIssuedOf(command),
            occurredAt: now,
          }),
        ),
      );
      for (const command of pending) {
        await this.deliveries.insertDelivery(tx.client, {
          agencyId: job.agencyId,
          commandId: command.commandId,
          channel: 'in_app',
          target: `user:${command.userId}`,
          attempt: 2,
          outcome: 'sent',
          detail: 'escalation: re-sent',
          at: now,
        });
      }
      this.auditStep(job, { resent: pending.map((c) => c.commandId) });
      return true;
    });
    if (fresh) {
      this.counted(job, { resent: pending.map((c) => c.commandId) });
    }
    const profiles = await this.recipients.profiles(
      job.agencyId,
      pending.map((c) => c.userId),
    );
    for (const command of pending) {
      const chatId = profiles.get(command.userId)?.telegramChatId;
      if (chatId) {
        await this.queues.enqueueDelivery(
          {
            agencyId: job.agencyId,
            channel: 'telegram',
            target: chatId,
            commandId: command.commandId,
            title: command.title,
            body: command.body,
          },
          `${command.commandId}_undelivered`,
        );
      }
    }
    return fresh ? 'fired' : 'already_fired';
  }

  /** Not accepted in time: alert the ladder's roles (supervisors by default) and the dispatcher. */
  private async unaccepted(
    job: EscalationJob,
    commands: CommandRecord[],
    now: Date,
    waitedMs: number,
  ): Promise<EscalationOutcome> {
    const first = commands[0] as CommandRecord;
    const lastStage = commands.some((c) => c.seenAt)
      ? 'seen'
      : commands.some((c) => c.deliveredAt)
        ? 'delivered'
        : undefined;
    // Whom the agency's ladder alerts for this priority (supervisors unless it says otherwise).
    const { alertRoles } = await this.agencySettings.ladderFor(job.agencyId, job.priority);
    const supervisors = await this.recipients.onDutyWithRoles(job.agencyId, alertRoles);
    const alertText = (supervisor: Recipient) =>
      templates.supervisorAlert(supervisor.locale, {
        unitId: first.unitId,
        // The call sign the dispatch named (commands issued before it was in the payload have none).
        ...(typeof first.payload['callSign'] === 'string'
          ? { callSign: first.payload['callSign'] }
          : {}),
        priority: job.priority,
        incidentType: String(first.payload['incidentType'] ?? ''),
        waitedS: Math.round(waitedMs / 1000),
      });
    const fresh = await this.unitOfWork.run(async (tx) => {
      if (!(await this.recordStep(tx, job, now))) {
        return false;
      }
      const data: AssignmentUnacknowledgedV1 = {
        assignmentId: job.assignmentId,
        incidentId: first.incidentId,
        unitId: first.unitId,
        commandId: first.commandId,
        ...(lastStage ? { lastStage } : {}),
        waitedMs: Math.max(0, Math.round(waitedMs)),
      };
      tx.emit(
        Streams.NotifyEvents,
        createEnvelope({
          type: EventTypes.AssignmentUnacknowledged,
          agencyId: job.agencyId,
          actor: SERVICE_ACTOR,
          data,
          occurredAt: now,
        }),
      );
      const alerts = supervisors
        .filter((s) => !s.loggedOut)
        .map((supervisor) => {
          const text = alertText(supervisor);
          return createEnvelope({
            type: EventTypes.CommandIssued,
            agencyId: job.agencyId,
            actor: SERVICE_ACTOR,
            occurredAt: now,
            data: {
              commandId: uuidv7(now.getTime()),
              recipient: { kind: 'user' as const, id: supervisor.userId },
              kind: 'message' as const,
              critical: true,
              assignmentId: job.assignmentId,
              incidentId: first.incidentId,
              ...text,
              locale: supervisor.locale,
              payload: { alert: 'assignment.unacknowledged', unitId: first.unitId },
              issuedAt: now.toISOString(),
            },
          });
        });
      tx.emit(COMMAND_SINK, alerts);
      this.auditStep(job, {
        lastStage: lastStage ?? 'none',
        waitedMs,
        supervisors: supervisors.length,
      });
      return true;
    });
    if (fresh) {
      this.counted(job, {
        lastStage: lastStage ?? 'none',
        waitedMs,
        supervisors: supervisors.length,
      });
    }
    for (const supervisor of supervisors) {
      const text = alertText(supervisor);
      for (const channel of linkedChannels(supervisor)) {
        const target = channel === 'telegram' ? supervisor.telegramChatId : supervisor.email;
        if (target) {
          await this.queues.enqueueDelivery(
            { agencyId: job.agencyId, channel, target, commandId: first.commandId, ...text },
            `${job.assignmentId}_supervisor_${supervisor.userId}`,
          );
        }
      }
    }
    return fresh ? 'fired' : 'already_fired';
  }

  /** Records the step in the transaction; false when it already fired (a retried job). */
  private recordStep(tx: UnitOfWorkTx, job: EscalationJob, now: Date): Promise<boolean> {
    return this.escalations.insertEscalation(
      tx.client,
      job.agencyId,
      job.assignmentId,
      job.step,
      now,
    );
  }

  /** The step's audit entry, inside the step's transaction: it commits with it (docs/adr/0021). */
  private auditStep(job: EscalationJob, details: Record<string, unknown>): void {
    const traceId = currentTraceId();
    this.audit.record({
      agencyId: job.agencyId,
      actor: SERVICE_ACTOR,
      action: NotifyAuditActions.Escalated,
      object: { type: 'assignment', id: job.assignmentId },
      reason: job.step,
      ...(traceId ? { traceId } : {}),
      details: { step: job.step, priority: job.priority, ...details },
    });
  }

  private counted(job: EscalationJob, details: Record<string, unknown>): void {
    notifyMetrics.escalations.add(1, { step: job.step, priority: job.priority });
    this.logger.info(
      { assignmentId: job.assignmentId, step: job.step, agencyId: job.agencyId, ...details },
      'escalation step fired',
    );
  }
}
