import { Inject, Injectable } from '@nestjs/common';
import { AuditRecorder } from '@gad/audit';
import {
  AuditActions,
  AuditErrorCode,
  type AuditQueryReply,
  type AuditQueryRequest,
  type AuditVerifyReply,
  type AuditVerifyRequest,
} from '@gad/contracts';
import { VerifyService } from '../verify/verify.service';
import { WITNESS_OPTIONS, type WitnessOptions } from '../witness/witness.service';
import { AuditQueryException } from './query.exception';
import { QueryRepository } from './query.repository';
import { decodeCursor, encodeCursor, toStoredEntry } from './query.mapper';

type Requester = AuditQueryRequest['requestedBy'];

/** `audit.query` and `audit.verify`: each answered request is itself recorded in the audit trail. */
@Injectable()
export class QueryService {
  constructor(
    private readonly repository: QueryRepository,
    private readonly verifier: VerifyService,
    private readonly recorder: AuditRecorder,
    @Inject(WITNESS_OPTIONS) private readonly witness: WitnessOptions,
  ) {}

  async query(request: AuditQueryRequest): Promise<AuditQueryReply> {
    const { agencyId, requestedBy, cursor, limit, ...filters } = request;
    const beforeSeq = cursor === undefined ? undefined : decodeCursor(cursor);
    if (cursor !== undefined && beforeSeq === undefined) {
      throw new AuditQueryException(
        AuditErrorCode.InvalidCursor,
        'cursor is not one this service issued',
      );
    }
    const rows = await this.repository.find({ agencyId, ...filters, beforeSeq, limit: limit + 1 });
    const items = rows.slice(0, limit).map(toStoredEntry);
    const last = items[items.length - 1];
    await this.audit(AuditActions.AuditQueried, agencyId, requestedBy, {
      filters: { ...filters, ...(cursor ? { cursor } : {}), limit },
      returned: items.length,
    });
    return rows.length > limit && last ? { items, nextCursor: encodeCursor(last.seq) } : { items };
  }

  async verify(request: AuditVerifyRequest): Promise<AuditVerifyReply> {
    const { agencyId, requestedBy, ...range } = request;
    // Against the witness outside the database whenever this worker keeps one (docs/adr/0022).
    const reply = this.witness.dir
      ? await this.verifier.verifyWithWitness(agencyId, range, this.witness.dir)
      : { ...(await this.verifier.verify(agencyId, range)), witness: { checked: false } };
    await this.audit(AuditActions.AuditVerified, agencyId, requestedBy, {
      range,
      valid: reply.valid,
      entriesChecked: reply.entriesChecked,
      witnessChecked: reply.witness?.checked ?? false,
      ...(reply.firstBreak ? { firstBreakSeq: reply.firstBreak.seq } : {}),
    });
    return reply;
  }

  private async audit(
    action: string,
    agencyId: string,
    requestedBy: Requester,
    details: Record<string, unknown>,
  ): Promise<void> {
    // On the queue before the answer leaves (docs/adr/0021): a read of the trail is never unrecorded.
    await this.recorder.write({
      agencyId,
      actor: requestedBy.actor,
      action,
      object: { type: 'audit_trail', id: agencyId },
      outcome: 'success',
      source: { ip: requestedBy.ip, userAgent: requestedBy.userAgent },
      traceId: requestedBy.traceId,
      details,
    });
  }
}
