import { Inject, Injectable } from '@nestjs/common';
import { AuditRecorder } from '@gad/audit';
import { UnitOfWork } from '@gad/bus';
import {
  EventTypes,
  createEnvelope,
  uuidv7,
  type AllCall,
  type CommandAcknowledgedV1,
  type CommandIssuedV1,
  type Envelope,
  type NotifyAllCallCreateRequest,
} from '@gad/contracts';
import { createLogger, currentTraceId } from '@gad/observability';
import { CLOCK, type Clock } from '@gad/platform';
import { isCritical } from '../escalation/escalation-ladder';
import { COMMAND_SINK, SERVICE_ACTOR } from '../notify.constants';
import { allCallCommandOf } from './all-call-command';
import { AllCallEscalationService } from './all-call-escalation.service';
import { AllCallException } from './all-calls.exception';
import { toAllCall } from './all-calls.mapper';
import { AllCallsRepository, type AllCallRow } from './all-calls.repository';

/** Audit actions of all-calls. */
export const AllCallAuditActions = {
  Issued: 'all_call.issue',
  Acknowledged: 'all_call.ack',
} as const;

/**
 * All-calls: one command per on-duty unit of the agency, handed to ws-gateway through the outbox
 * like a dispatch command (`command.issued` on `gad:notify:outbound`, kind `message`,
 * `payload.allCallId`), so every device of the unit gets it on `/field`, acknowledges it with
 * `command.ack`, and the consoles see each stage live (`command.acknowledged` with `allCallId`).
 */
@Injectable()
export class AllCallsService {
  private readonly logger = createLogger('all-calls');

  constructor(
    private readonly repository: AllCallsRepository,
    private readonly unitOfWork: UnitOfWork,
    private readonly audit: AuditRecorder,
    private readonly escalation: AllCallEscalationService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Idempotent by `allCallId`: a retried request issues nothing twice and answers the report. */
  async create(request: NotifyAllCallCreateRequest): Promise<AllCall> {
    const { agencyId, allCallId } = request;
    const now = this.clock.now();
    const units = await this.repository.onDutyUnits(agencyId, request.unitIds);
    const call: AllCallRow = {
      all_call_id: allCallId,
      agency_id: agencyId,
      title: request.title,
      message: request.message,
      priority: request.priority,
      critical: isCritical(request.priority),
      created_by: request.createdBy,
      created_at: now,
      zone_id: request.zoneId ?? null,
    };
    const commands = units.map((unitId) => ({ commandId: uuidv7(now.getTime()), unitId }));
    const fresh = await this.unitOfWork.run(async (tx) => {
      const inserted = await this.repository.insertAllCall(tx.client, {
        allCallId,
        agencyId,
        title: call.title,
        message: call.message,
        priority: call.priority,
        critical: call.critical,
        createdBy: call.created_by,
        createdAt: now,
        zoneId: call.zone_id,
      });
      if (!inserted) {
        return false;
      }
      await this.repository.insertCommands(tx.client, agencyId, allCallId, commands, now);
      tx.emit(
        COMMAND_SINK,
        commands.map(({ commandId, unitId }) =>
          createEnvelope<CommandIssuedV1>({
            type: EventTypes.CommandIssued,
            agencyId,
            actor: SERVICE_ACTOR,
            data: allCallCommandOf(call, commandId, unitId, now),
          }),
        ),
      );
      // The entry commits with the all-call it describes (docs/adr/0021).
      const traceId = currentTraceId();
      this.audit.record({
        agencyId,
        actor: { kind: 'user', id: request.createdBy },
        action: AllCallAuditActions.Issued,
        object: { type: 'all_call', id: allCallId },
        ...(traceId ? { traceId } : {}),
        details: {
          priority: request.priority,
          units: units.length,
          ...(request.zoneId ? { zoneId: request.zoneId } : {}),
        },
      });
      return true;
    });
    if (units.length > 0) {
      // Scheduled again on a retry (the first may have failed after the commit): job ids dedupe.
      await this.escalation.schedule(agencyId, allCallId, request.priority);
    }
    if (fresh) {
      this.logger.info({ allCallId, agencyId, units: units.length }, 'all-call issued');
    }
    return this.get(agencyId, allCallId);
  }

  async get(agencyId: string, allCallId: string): Promise<AllCall> {
    const call = await this.repository.allCall(agencyId, allCallId);
    if (!call) {
      throw AllCallException.notFound(allCallId);
    }
    const [commands, steps] = await Promise.all([
      this.repository.commandsOf(agencyId, allCallId),
      this.repository.stepsOf(agencyId, allCallId),
    ]);
    return toAllCall(call, commands, steps);
  }

  /** A device's acknowledgement: recorded when the command is an all-call's, else ignored. */
  async onAcknowledged(envelope: Envelope<CommandAcknowledgedV1>): Promise<void> {
    const ack = envelope.data;
    // The stage and its audit entry commit together (docs/adr/0021).
    await this.unitOfWork.run(async (tx) => {
      const result = await this.repository.recordStage(
        envelope.agencyId,
        ack.commandId,
        ack.stage,
        new Date(ack.receivedAt),
        ack.reason,
        ack.userId,
        tx.client,
      );
      if (!result?.changed) {
        return;
      }
      const traceId = currentTraceId();
      this.audit.record({
        agencyId: envelope.agencyId,
        actor: { kind: 'user', id: ack.userId },
        action: AllCallAuditActions.Acknowledged,
        object: { type: 'command', id: ack.commandId },
        ...(ack.reason ? { reason: ack.reason } : {}),
        ...(traceId ? { traceId } : {}),
        details: {
          stage: ack.stage,
          allCallId: result.command.all_call_id,
          unitId: result.command.unit_id,
          ...(ack.deviceId ? { deviceId: ack.deviceId } : {}),
        },
      });
    });
  }
}
