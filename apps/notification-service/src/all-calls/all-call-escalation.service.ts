import { Inject, Injectable } from '@nestjs/common';
import { AuditRecorder } from '@gad/audit';
import { UnitOfWork } from '@gad/bus';
import {
  EventTypes,
  createEnvelope,
  uuidv7,
  type CommandIssuedV1,
  type IncidentPriority,
} from '@gad/contracts';
import { createLogger, currentTraceId } from '@gad/observability';
import { CLOCK, type Clock } from '@gad/platform';
import { ladderFor } from '../escalation/escalation-ladder';
import {
  NOTIFICATION_SERVICE_CONFIG,
  type NotificationServiceConfig,
} from '../notification-service.config';
import { COMMAND_SINK, SERVICE_ACTOR } from '../notify.constants';
import { NotifyQueues } from '../queues/notify-queues.service';
import { linkedChannels } from '../recipients/recipient';
import { RecipientsService } from '../recipients/recipients.service';
import { allCallCommandOf } from './all-call-command';
import { AllCallsRepository } from './all-calls.repository';

/** BullMQ queue of all-call ladder steps (prefix `<REDIS_KEY_PREFIX>{notify}`). */
export const ALL_CALL_ESCALATION_QUEUE = 'notify-all-call-escalation';

export type AllCallStep = 'undelivered' | 'unaccepted';

/** A delayed ladder step of an all-call (job id `allcall_<id>_<step>`). */
export interface AllCallEscalationJob {
  agencyId: string;
  allCallId: string;
  step: AllCallStep;
  priority: IncidentPriority;
}

/**
 * The escalation ladder of all-calls, with the delays of the dispatch ladder for the all-call's
 * priority (`ESCALATION_P<n>_DELIVER_MS`, `_ACCEPT_MS`; 0 = no step): units whose devices have not
 * acknowledged `delivered` in time get the same command again; when units have neither accepted
 * nor declined in time, the agency's on-duty supervisors get an in-app alert (and their linked
 * Telegram / e-mail). Each step fires once (recorded in `notify.escalations` as `all_call_<step>`).
 */
@Injectable()
export class AllCallEscalationService {
  private readonly logger = createLogger('all-call-escalation');

  constructor(
    private readonly repository: AllCallsRepository,
    private readonly unitOfWork: UnitOfWork,
    private readonly queues: NotifyQueues,
    private readonly recipients: RecipientsService,
    private readonly audit: AuditRecorder,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(NOTIFICATION_SERVICE_CONFIG) private readonly config: NotificationServiceConfig,
  ) {}

  /** Schedules the ladder of a new all-call (deterministic job ids: scheduling twice adds once). */
  async schedule(agencyId: string, allCallId: string, priority: IncidentPriority): Promise<void> {
    const ladder = ladderFor(this.config, priority);
    const steps: [AllCallStep, number][] = [
      ['undelivered', ladder.deliverMs],
      ['unaccepted', ladder.acceptMs],
    ];
    const jobs = steps
      .filter(([, delayMs]) => delayMs > 0)
      .map(([step, delayMs]) => ({
        name: `all-call.${step}`,
        data: { agencyId, allCallId, step, priority } satisfies AllCallEscalationJob,
        opts: {
          jobId: `allcall_${allCallId}_${step}`,
          delay: delayMs,
          attempts: 10,
          backoff: { type: 'exponential', delay: 500 },
          removeOnComplete: { age: 86_400 },
          removeOnFail: { age: 86_400 },
        },
      }));
    if (jobs.length > 0) {
      await this.queues.queue(ALL_CALL_ESCALATION_QUEUE).addBulk(jobs);
    }
  }

  async fire(job: AllCallEscalationJob): Promise<'fired' | 'already_fired' | 'not_needed'> {
    const call = await this.repository.allCall(job.agencyId, job.allCallId);
    if (!call) {
      return 'not_needed';
    }
    const commands = await this.repository.commandsOf(job.agencyId, job.allCallId);
    const pending =
      job.step === 'undelivered'
        ? commands.filter((command) => !command.delivered_at)
        : commands.filter((command) => !command.accepted_at && !command.declined_at);
    if (pending.length === 0) {
      return 'not_needed';
    }
    const now = this.clock.now();
    const supervisors =
      job.step === 'unaccepted'
        ? (await this.recipients.onDutyWithRoles(job.agencyId, ['supervisor'])).filter(
            (supervisor) => !supervisor.loggedOut,
          )
        : [];
    const title = `All-call not accepted: ${call.title}`;
    const body = `${pending.length} of ${commands.length} units have not accepted "${call.title}"`;
    const fresh = await this.unitOfWork.run(async (tx) => {
      const step = `all_call_${job.step}`;
      if (!(await this.repository.recordStep(tx.client, job.agencyId, job.allCallId, step, now))) {
        return false;
      }
      const events =
        job.step === 'undelivered'
          ? pending.map((command) =>
              allCallCommandOf(call, command.command_id, command.unit_id, command.issued_at),
            )
          : supervisors.map((supervisor): CommandIssuedV1 => ({
              commandId: uuidv7(now.getTime()),
              recipient: { kind: 'user', id: supervisor.userId },
              kind: 'message',
              critical: true,
              title,
              body,
              locale: supervisor.locale,
              payload: {
                alert: 'all_call.unaccepted',
                allCallId: job.allCallId,
                units: pending.map((command) => command.unit_id),
              },
              issuedAt: now.toISOString(),
            }));
      tx.emit(
        COMMAND_SINK,
        events.map((data) =>
          createEnvelope<CommandIssuedV1>({
            type: EventTypes.CommandIssued,
            agencyId: job.agencyId,
            actor: SERVICE_ACTOR,
            occurredAt: now,
            data,
          }),
        ),
      );
      // The step's entry commits with the step (docs/adr/0021).
      const traceId = currentTraceId();
      this.audit.record({
        agencyId: job.agencyId,
        actor: SERVICE_ACTOR,
        action: 'all_call.escalation',
        object: { type: 'all_call', id: job.allCallId },
        ...(traceId ? { traceId } : {}),
        details: {
          step: job.step,
          units: pending.map((command) => command.unit_id),
          supervisors: supervisors.length,
        },
      });
      return true;
    });
    if (!fresh) {
      return 'already_fired';
    }
    for (const supervisor of supervisors) {
      for (const channel of linkedChannels(supervisor)) {
        const target = channel === 'telegram' ? supervisor.telegramChatId : supervisor.email;
        if (target) {
          await this.queues.enqueueDelivery(
            { agencyId: job.agencyId, channel, target, title, body },
            `${job.allCallId}_supervisor_${supervisor.userId}`,
          );
        }
      }
    }
    this.logger.info(
      { allCallId: job.allCallId, step: job.step, units: pending.length },
      'all-call escalated',
    );
    return 'fired';
  }
}
