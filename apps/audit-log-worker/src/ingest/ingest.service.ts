import { Injectable } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import type { AuditEntry } from '@gad/contracts';
import { canonicalJson } from '../chain/canonical-json';
import { GENESIS_HASH, chainHashOfCanonical } from '../chain/chain-hash';
import { toStorableJson } from '../chain/storable-json';
import { CheckpointService } from '../checkpoint/checkpoint.service';
import type { WitnessSegment } from '../witness/witness-log';
import {
  ChainRepository,
  type ChainHead,
  type CheckpointRecord,
  type NewChainEntry,
} from './chain.repository';

export interface IngestResult {
  inserted: number;
  duplicates: number;
  checkpoints: CheckpointRecord[];
  /** What each chain gained, for the witness (docs/adr/0022). */
  segments: WitnessSegment[];
}

/**
 * What in an entry's canonical JSON may need the stored form: `JSON.stringify` writes NUL as
 * `\u0000` and an unpaired surrogate as `\udXXX`, and the escape mark as it is.
 */
const MAY_NEED_ESCAPE = /\\u0000|\\ud[89a-f]|\ue000/;

/**
 * The canonical JSON of an entry's stored form (NUL and lone surrogates escaped: jsonb cannot hold
 * them; the stored form is what is hashed). Almost no entry holds one: its stored form is itself,
 * and the copy `toStorableJson` makes of it is skipped.
 */
function storedCanonicalJson(entry: AuditEntry): string {
  const canonical = canonicalJson(entry);
  return MAY_NEED_ESCAPE.test(canonical) ? canonicalJson(toStorableJson(entry)) : canonical;
}

/**
 * Appends a batch of entries to their agencies' chains in one transaction: entries already stored
 * (a job delivered again) are skipped, the rest get the next sequence numbers and hashes.
 */
@Injectable()
export class IngestService {
  private readonly meter = metrics.getMeter('audit-log-worker');
  private readonly insertedCounter = this.meter.createCounter('gad_audit_entries_inserted_total', {
    description: 'Audit entries appended to a chain',
  });
  private readonly duplicateCounter = this.meter.createCounter(
    'gad_audit_entries_duplicate_total',
    {
      description: 'Audit jobs delivered again whose entry was already stored',
    },
  );
  private readonly batchSize = this.meter.createHistogram('gad_audit_batch_size', {
    description: 'Entries per write transaction',
  });

  constructor(
    private readonly chains: ChainRepository,
    private readonly checkpoints: CheckpointService,
  ) {}

  async append(entries: readonly AuditEntry[]): Promise<IngestResult> {
    const byAgency = new Map<string, Map<string, AuditEntry>>();
    for (const entry of entries) {
      const forAgency = byAgency.get(entry.agencyId) ?? new Map<string, AuditEntry>();
      if (!forAgency.has(entry.id)) {
        forAgency.set(entry.id, entry);
      }
      byAgency.set(entry.agencyId, forAgency);
    }
    const agencies = [...byAgency.keys()].sort();
    const result = await this.chains.withChains(agencies, async (tx) => {
      const outcome: IngestResult = {
        inserted: 0,
        duplicates: 0,
        checkpoints: [],
        segments: [],
      };
      // Every chain's head, last checkpoint and stored ids in one query, all rows in one INSERT:
      // a batch costs the same few round trips however many chains it extends.
      const states = await tx.states(
        agencies,
        entries.map((entry) => entry.id),
      );
      const rows: NewChainEntry[] = [];
      const heads: { agencyId: string; head: ChainHead; lastCheckpointSeq: number }[] = [];
      for (const agencyId of agencies) {
        const state = states.get(agencyId);
        const stored = state?.storedIds ?? new Set<string>();
        const candidates = [...(byAgency.get(agencyId)?.values() ?? [])];
        const fresh = candidates.filter((entry) => !stored.has(entry.id));
        outcome.duplicates +=
          entries.filter((entry) => entry.agencyId === agencyId).length - fresh.length;
        if (fresh.length === 0) {
          continue;
        }
        const head = state?.head ?? { seq: 0, hash: GENESIS_HASH };
        let { seq, hash } = head;
        for (const entry of fresh) {
          const canonical = storedCanonicalJson(entry);
          const prevHash = hash;
          seq += 1;
          hash = chainHashOfCanonical(prevHash, canonical);
          rows.push({ agencyId, seq, id: entry.id, prevHash, hash, canonical });
        }
        outcome.segments.push({
          agencyId,
          fromSeq: head.seq + 1,
          toSeq: seq,
          prevHash: head.hash,
          headHash: hash,
        });
        heads.push({
          agencyId,
          head: { seq, hash },
          lastCheckpointSeq: state?.lastCheckpointSeq ?? 0,
        });
      }
      await tx.insertEntries(rows);
      outcome.inserted += rows.length;
      for (const { agencyId, head, lastCheckpointSeq } of heads) {
        const checkpoint = await this.checkpoints.checkpointIfDue(tx, agencyId, head, {
          lastCheckpointSeq,
        });
        if (checkpoint) {
          outcome.checkpoints.push(checkpoint);
        }
      }
      return outcome;
    });
    this.insertedCounter.add(result.inserted);
    this.duplicateCounter.add(result.duplicates);
    this.batchSize.record(entries.length);
    await this.checkpoints.committed(result.checkpoints, result.segments);
    return result;
  }
}
