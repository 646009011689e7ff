import { Injectable } from '@nestjs/common';
import type { AuditChainBreak, AuditVerifyRange, AuditVerifyReply } from '@gad/contracts';
import { chainHash, GENESIS_HASH } from '../chain/chain-hash';
import { CheckpointSigner } from '../chain/checkpoint-signer';
import { isPurgeAnchorSigned } from '../chain/purge-anchor';
import { readWitness, type AgencyWitness, type WitnessSegment } from '../witness/witness-log';
import { VerifyRepository, type CheckpointRow } from './verify.repository';

const PAGE = 2_000;

/** A point of the chain something outside the entries vouches for: "entry `seq` hashes to X". */
interface Mark {
  headHash: string;
  source: 'witness checkpoint' | 'witness segment';
  id: string;
}

/**
 * Recomputes an agency's chain from the database and checks the signed checkpoints: every entry's
 * hash from its predecessor and canonical JSON, contiguous sequence numbers (a deleted entry leaves
 * a gap), every checkpoint's Ed25519 signature (against configured keys only), the links between
 * checkpoints (`prevCheckpointSeq`, `count`), that the entry a checkpoint names still has the signed
 * hash, and that the purge anchor the chain starts from is signed.
 *
 * Given the witness (docs/adr/0022), also: every checkpoint it holds is still stored, every point
 * it vouches for (checkpoint or write segment) still has the witnessed hash, the chain reaches at
 * least as far as the witness, and every entry from the first witnessed segment to the last one was
 * written by the worker (lies in a witnessed segment).
 *
 * Reports the first break and the entries in doubt: from just after the last point a signed
 * checkpoint or the witness still vouches for, to the last entry the break can reach.
 */
@Injectable()
export class VerifyService {
  constructor(
    private readonly repository: VerifyRepository,
    private readonly signer: CheckpointSigner,
  ) {}

  /**
   * {@link verify} against the witness at `path` (a witness directory or one of its files). A
   * witness whose lines do not verify is itself evidence of tampering: reported as the first break
   * (`witness_invalid`). The reply says what was read (`witness`).
   */
  async verifyWithWitness(
    agencyId: string,
    range: AuditVerifyRange,
    path: string,
  ): Promise<AuditVerifyReply> {
    const witness = await readWitness(path, this.signer, agencyId);
    const verified = await this.verify(agencyId, range, witness.forAgency(agencyId));
    const [problem] = witness.problems;
    const report: AuditVerifyReply = problem
      ? {
          ...verified,
          valid: false,
          firstBreak: {
            seq: 0,
            reason: 'witness_invalid',
            detail: `${witness.problems.length} witness line(s) do not verify; first: ${problem}`,
          },
        }
      : verified;
    return { ...report, witness: { checked: true, files: witness.files, lines: witness.lines } };
  }

  async verify(
    agencyId: string,
    range: AuditVerifyRange = {},
    witness?: AgencyWitness,
  ): Promise<AuditVerifyReply> {
    const anchor = await this.repository.purgeAnchor(agencyId);
    const chainStart = anchor ? anchor.throughSeq + 1 : 1;
    const segments = [...(witness?.segments ?? [])]
      .filter((segment) => segment.toSeq >= chainStart)
      .sort((a, b) => a.fromSeq - b.fromSeq);
    const witnessedCheckpoints = (witness?.checkpoints ?? []).filter(
      (checkpoint) => checkpoint.seq >= chainStart,
    );
    const witnessedThroughSeq = witness
      ? Math.max(
          0,
          ...segments.map((segment) => segment.toSeq),
          ...witnessedCheckpoints.map((checkpoint) => checkpoint.seq),
        )
      : undefined;
    const base = witness ? { witnessedThroughSeq } : {};
    if (anchor && !isPurgeAnchorSigned(this.signer, anchor)) {
      return {
        ...this.report(agencyId, { from: chainStart, to: 0, checked: 0, anchoredAt: 'purge' }),
        ...base,
        valid: false,
        firstBreak: {
          seq: anchor.throughSeq,
          reason: 'purge_anchor_invalid',
          detail:
            `the purge anchor through ${anchor.throughSeq} (partition ${anchor.partition}) has no ` +
            'valid signature by a trusted key: the entries before it were removed by someone else',
          inDoubt: { fromSeq: 1, toSeq: anchor.throughSeq },
        },
      };
    }
    const { headSeq, checkpointSeq } = await this.repository.extent(agencyId);
    let from = Math.max(range.fromSeq ?? chainStart, chainStart);
    // Checkpoints and the witness name entries too: a chain cut short after them shows a gap.
    let to = range.toSeq ?? Math.max(headSeq, checkpointSeq, witnessedThroughSeq ?? 0);
    if (range.from || range.to) {
      const bounds = await this.repository.seqBoundsForTime(agencyId, range.from, range.to);
      if (!bounds) {
        return {
          ...this.report(agencyId, { from, to: from - 1, checked: 0, anchoredAt: 'range' }),
          ...base,
        };
      }
      from = Math.max(from, range.from ? bounds.min : from);
      to = Math.min(to, range.to ? bounds.max : to);
    }
    const anchoredAt = from === chainStart ? (anchor ? 'purge' : 'genesis') : 'range';
    let running: string | undefined =
      from === chainStart ? (anchor?.throughHash ?? GENESIS_HASH) : undefined;
    const checkpoints = new Map<number, CheckpointRow>(
      (await this.repository.checkpoints(agencyId, from, to)).map((checkpoint) => [
        checkpoint.seq,
        checkpoint,
      ]),
    );
    const marks = new Map<number, Mark[]>();
    const addMark = (seq: number, mark: Mark): void => {
      if (seq >= from && seq <= to) {
        marks.set(seq, [...(marks.get(seq) ?? []), mark]);
      }
    };
    for (const segment of segments) {
      addMark(segment.toSeq, {
        headHash: segment.headHash,
        source: 'witness segment',
        id: `${segment.fromSeq}..${segment.toSeq}`,
      });
    }
    const witnessedById = new Map<number, string>();
    for (const checkpoint of witnessedCheckpoints) {
      addMark(checkpoint.seq, {
        headHash: checkpoint.headHash,
        source: 'witness checkpoint',
        id: checkpoint.checkpointId,
      });
      witnessedById.set(checkpoint.seq, checkpoint.checkpointId);
    }
    const coverage = new Coverage(segments);
    const fork = coverage.fork;

    let expected = from;
    let checked = 0;
    let checkpointsChecked = 0;
    let lastCheckpointSeq = 0;
    // The last entry something signed vouches for (checkpoint or witness); the start is trusted.
    let vouched = from - 1;
    // Seq of the previous stored checkpoint, when known (from the genesis it is 0).
    let previousCheckpoint: number | undefined = from === 1 ? 0 : undefined;
    const fail = (failure: AuditChainBreak): AuditVerifyReply => ({
      ...this.report(agencyId, {
        from,
        to: expected - 1,
        checked,
        anchoredAt,
        checkpointsChecked,
        lastCheckpointSeq,
        failure,
      }),
      ...base,
    });
    const sinceVouched = (seq: number): AuditChainBreak['inDoubt'] => ({
      fromSeq: vouched + 1,
      toSeq: seq,
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
            inDoubt: { fromSeq: expected, toSeq: row.seq - 1 },
          });
        }
        if (row.seq < expected) {
          return fail({
            seq: row.seq,
            entryId: row.id,
            reason: 'duplicate_entry',
            detail: `sequence ${row.seq} is stored more than once`,
            inDoubt: { fromSeq: row.seq, toSeq: row.seq },
          });
        }
        if (running !== undefined && row.prevHash !== running) {
          return fail({
            seq: row.seq,
            entryId: row.id,
            reason: 'prev_hash_mismatch',
            detail: `prev_hash ${row.prevHash} does not match the hash of entry ${row.seq - 1} (${running})`,
            inDoubt: { fromSeq: Math.max(from, row.seq - 1), toSeq: row.seq },
          });
        }
        const recomputed = chainHash(running ?? row.prevHash, row.entry);
        if (recomputed !== row.hash) {
          return fail({
            seq: row.seq,
            entryId: row.id,
            reason: 'hash_mismatch',
            detail: `content of entry ${row.seq} hashes to ${recomputed}, stored hash is ${row.hash}`,
            inDoubt: { fromSeq: row.seq, toSeq: row.seq },
          });
        }
        if (fork && row.seq === fork.fromSeq) {
          return fail({
            seq: row.seq,
            entryId: row.id,
            reason: 'witness_mismatch',
            detail:
              `the witness holds two different write segments from entry ${fork.fromSeq}: the ` +
              'chain was cut back and written again from there',
            inDoubt: fork,
          });
        }
        const uncovered = coverage.gapAt(row.seq);
        if (uncovered) {
          return fail({
            seq: row.seq,
            entryId: row.id,
            reason: 'unwitnessed_entry',
            detail:
              `entry ${row.seq} lies in no write segment of the witness: the worker did not ` +
              `write it (entries ${uncovered.fromSeq}..${uncovered.toSeq} are unwitnessed)`,
            inDoubt: uncovered,
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
              inDoubt: sinceVouched(row.seq),
            });
          }
          if (checkpoint.headHash !== row.hash) {
            return fail({
              seq: row.seq,
              entryId: row.id,
              reason: 'checkpoint_mismatch',
              detail: `signed checkpoint ${checkpoint.checkpointId} says entry ${row.seq} hashes to ${checkpoint.headHash}`,
              inDoubt: sinceVouched(row.seq),
            });
          }
          const linkProblem = this.linkProblem(checkpoint, previousCheckpoint);
          if (linkProblem) {
            return fail({
              seq: row.seq,
              entryId: row.id,
              reason: 'checkpoint_link_broken',
              detail: linkProblem,
              inDoubt: {
                fromSeq: Math.min(previousCheckpoint ?? from - 1, checkpoint.prevCheckpointSeq) + 1,
                toSeq: row.seq,
              },
            });
          }
          previousCheckpoint = row.seq;
          checkpointsChecked += 1;
          lastCheckpointSeq = row.seq;
        }
        for (const mark of marks.get(row.seq) ?? []) {
          if (mark.headHash !== row.hash) {
            return fail({
              seq: row.seq,
              entryId: row.id,
              reason: 'witness_mismatch',
              detail:
                `the ${mark.source} ${mark.id} says entry ${row.seq} hashes to ${mark.headHash}, ` +
                `the database chain gives ${row.hash}`,
              inDoubt: sinceVouched(row.seq),
            });
          }
        }
        const witnessedId = witnessedById.get(row.seq);
        if (witnessedId && checkpoint?.checkpointId !== witnessedId) {
          return fail({
            seq: row.seq,
            entryId: row.id,
            reason: 'checkpoint_missing',
            detail: `witnessed checkpoint ${witnessedId} at ${row.seq} is not stored any more`,
            inDoubt: sinceVouched(row.seq),
          });
        }
        if (checkpoint || marks.has(row.seq)) {
          vouched = row.seq;
        }
      }
    }
    if (expected <= to) {
      return fail({
        seq: expected,
        reason: checkpoints.has(to) ? 'checkpoint_entry_missing' : 'missing_entry',
        detail:
          `entries ${expected}..${to} are missing` +
          (marks.has(to) ? ' (the witness saw them written)' : ''),
        inDoubt: { fromSeq: expected, toSeq: to },
      });
    }
    return {
      ...this.report(agencyId, {
        from,
        to,
        checked,
        anchoredAt,
        checkpointsChecked,
        lastCheckpointSeq,
      }),
      ...base,
    };
  }

  /** Why a checkpoint does not link to the one before it, if it does not. */
  private linkProblem(checkpoint: CheckpointRow, previous: number | undefined): string | undefined {
    if (checkpoint.count !== checkpoint.seq - checkpoint.prevCheckpointSeq) {
      return (
        `checkpoint ${checkpoint.checkpointId} at ${checkpoint.seq} counts ${checkpoint.count} ` +
        `entries since ${checkpoint.prevCheckpointSeq}`
      );
    }
    if (previous !== undefined && checkpoint.prevCheckpointSeq !== previous) {
      return (
        `checkpoint ${checkpoint.checkpointId} at ${checkpoint.seq} follows the checkpoint at ` +
        `${checkpoint.prevCheckpointSeq}, but the checkpoint stored before it is at ${previous}`
      );
    }
    return undefined;
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

/**
 * The entries the witness saw written: from the first witnessed segment to the last, every entry
 * lies in one. Before the first segment (written before the witness was enabled) and after the last
 * (the unwitnessed tail) nothing is required.
 */
class Coverage {
  private readonly intervals: Array<{ fromSeq: number; toSeq: number }> = [];
  /**
   * Entries two witnessed segments both claim. Never legitimate: one writer extends a chain at a
   * time and only committed segments are witnessed, so the chain was cut back and rewritten.
   */
  readonly fork: { fromSeq: number; toSeq: number } | undefined;

  constructor(segments: readonly WitnessSegment[]) {
    let fork: { fromSeq: number; toSeq: number } | undefined;
    for (const segment of segments) {
      const last = this.intervals[this.intervals.length - 1];
      if (last && segment.fromSeq <= last.toSeq && !fork) {
        fork = { fromSeq: segment.fromSeq, toSeq: Math.max(last.toSeq, segment.toSeq) };
      }
      if (last && segment.fromSeq <= last.toSeq + 1) {
        last.toSeq = Math.max(last.toSeq, segment.toSeq);
      } else {
        this.intervals.push({ fromSeq: segment.fromSeq, toSeq: segment.toSeq });
      }
    }
    this.fork = fork;
  }

  /** The unwitnessed run holding `seq`, when `seq` lies between witnessed segments but in none. */
  gapAt(seq: number): { fromSeq: number; toSeq: number } | undefined {
    for (let index = 1; index < this.intervals.length; index += 1) {
      const before = this.intervals[index - 1];
      const after = this.intervals[index];
      if (before && after && seq > before.toSeq && seq < after.fromSeq) {
        return { fromSeq: before.toSeq + 1, toSeq: after.fromSeq - 1 };
      }
    }
    return undefined;
  }
}
