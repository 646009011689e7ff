import { Injectable } from '@nestjs/common';
import type { AuditChainBreak, AuditVerifyRange, AuditVerifyReply } from '@gad/contracts';
import { chainHash, GENESIS_HASH } from '../chain/chain-hash';
import { CheckpointSigner } from '../chain/checkpoint-signer';
import { VerifyRepository, type CheckpointRow } from './verify.repository';

const PAGE = 2_000;

/**
 * Recomputes an agency's chain from the database and checks the signed checkpoints: every entry's
 * hash from its predecessor and canonical JSON, contiguous sequence numbers (a deleted entry leaves
 * a gap), every checkpoint's Ed25519 signature (against configured keys only) and that the entry it
 * names still has the signed hash. Reports the first broken entry.
 */
@Injectable()
export class VerifyService {
  constructor(
    private readonly repository: VerifyRepository,
    private readonly signer: CheckpointSigner,
  ) {}

  async verify(agencyId: string, range: AuditVerifyRange = {}): Promise<AuditVerifyReply> {
    const anchor = await this.repository.purgeAnchor(agencyId);
    const chainStart = anchor ? anchor.seq + 1 : 1;
    const { headSeq, checkpointSeq } = await this.repository.extent(agencyId);
    let from = Math.max(range.fromSeq ?? chainStart, chainStart);
    // Checkpoints name entries too: a chain cut short after its last checkpoint still shows a gap.
    let to = range.toSeq ?? Math.max(headSeq, checkpointSeq);
    if (range.from || range.to) {
      const bounds = await this.repository.seqBoundsForTime(agencyId, range.from, range.to);
      if (!bounds) {
        return this.report(agencyId, { from, to: from - 1, checked: 0, anchoredAt: 'range' });
      }
      from = Math.max(from, range.from ? bounds.min : from);
      to = Math.min(to, range.to ? bounds.max : to);
    }
    const anchoredAt = from === chainStart ? (anchor ? 'purge' : 'genesis') : 'range';
    let running: string | undefined =
      from === chainStart ? (anchor?.hash ?? GENESIS_HASH) : undefined;
    const checkpoints = new Map<number, CheckpointRow>(
      (await this.repository.checkpoints(agencyId, from, to)).map((checkpoint) => [
        checkpoint.seq,
        checkpoint,
      ]),
    );
    let expected = from;
    let checked = 0;
    let checkpointsChecked = 0;
    let lastCheckpointSeq = 0;
    const fail = (failure: AuditChainBreak): Promise<AuditVerifyReply> | AuditVerifyReply =>
      this.report(agencyId, {
        from,
        to: expected - 1,
        checked,
        anchoredAt,
        checkpointsChecked,
        lastCheckpointSeq,
        failure,
      });

    while (expected <= to) {
      const rows = await this.repository.page(agencyId, expected - 1, to, PAGE);
      if (rows.length === 0) {
        break;
      }
      for (const row of rows) {
        if (row.seq > expected) {
          return fail({
            seq: expected,
            reason: 'missing_entry',
            detail: `entry ${expected} is missing (next stored entry is ${row.seq}, id ${row.id})`,
          });
        }
        if (row.seq < expected) {
          return fail({
            seq: row.seq,
            entryId: row.id,
            reason: 'duplicate_entry',
            detail: `sequence ${row.seq} is stored more than once`,
          });
        }
        if (running !== undefined && row.prevHash !== running) {
          return fail({
            seq: row.seq,
            entryId: row.id,
            reason: 'prev_hash_mismatch',
            detail: `prev_hash ${row.prevHash} does not match the hash of entry ${row.seq - 1} (${running})`,
          });
        }
        const recomputed = chainHash(running ?? row.prevHash, row.entry);
        if (recomputed !== row.hash) {
          return fail({
            seq: row.seq,
            entryId: row.id,
            reason: 'hash_mismatch',
            detail: `content of entry ${row.seq} hashes to ${recomputed}, stored hash is ${row.hash}`,
          });
        }
        running = row.hash;
        checked += 1;
        expected += 1;
        const checkpoint = checkpoints.get(row.seq);
        if (checkpoint) {
          const { signature, ...payload } = checkpoint;
          if (!this.signer.verify(payload, signature)) {
            return fail({
              seq: row.seq,
              entryId: row.id,
              reason: 'checkpoint_signature_invalid',
              detail: `checkpoint ${checkpoint.checkpointId} at ${row.seq} has no valid signature by a trusted key`,
            });
          }
          if (checkpoint.headHash !== row.hash) {
            return fail({
              seq: row.seq,
              entryId: row.id,
              reason: 'checkpoint_mismatch',
              detail: `signed checkpoint ${checkpoint.checkpointId} says entry ${row.seq} hashes to ${checkpoint.headHash}`,
            });
          }
          checkpointsChecked += 1;
          lastCheckpointSeq = row.seq;
        }
      }
    }
    if (expected <= to) {
      return fail({
        seq: expected,
        reason: checkpoints.has(to) ? 'checkpoint_entry_missing' : 'missing_entry',
        detail: `entries ${expected}..${to} are missing`,
      });
    }
    return this.report(agencyId, {
      from,
      to,
      checked,
      anchoredAt,
      checkpointsChecked,
      lastCheckpointSeq,
    });
  }

  private report(
    agencyId: string,
    state: {
      from: number;
      to: number;
      checked: number;
      anchoredAt: AuditVerifyReply['anchoredAt'];
      checkpointsChecked?: number;
      lastCheckpointSeq?: number;
      failure?: AuditChainBreak;
    },
  ): AuditVerifyReply {
    return {
      agencyId,
      valid: !state.failure,
      entriesChecked: state.checked,
      firstSeq: state.checked > 0 ? state.from : 0,
      lastSeq: state.checked > 0 ? state.from + state.checked - 1 : 0,
      anchoredAt: state.anchoredAt,
      checkpointsChecked: state.checkpointsChecked ?? 0,
      lastCheckpointSeq: state.lastCheckpointSeq ?? 0,
      ...(state.failure ? { firstBreak: state.failure } : {}),
    };
  }
}
