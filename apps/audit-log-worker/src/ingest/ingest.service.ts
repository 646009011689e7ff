import { Injectable } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import type { AuditEntry } from '@gad/contracts';
import { canonicalJson } from '../chain/canonical-json';
import { GENESIS_HASH, chainHashOfCanonical } from '../chain/chain-hash';
import { toStorableJson } from '../chain/storable-json';
import { CheckpointService } from '../checkpoint/checkpoint.service';
import type { WitnessSegment } from '../witness/witness-log';
import { ChainRepository, type CheckpointRecord, type NewChainEntry } from './chain.repository';

export interface IngestResult {
  inserted: number;
  duplicates: number;
  checkpoints: CheckpointRecord[];
  /** What each chain gained, for the witness (docs/adr/0022). */
  segments: WitnessSegment[];
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
      for (const agencyId of agencies) {
        const candidates = [...(byAgency.get(agencyId)?.values() ?? [])];
        const stored = await tx.existingIds(
          agencyId,
          candidates.map((entry) => entry.id),
        );
        const fresh = candidates.filter((entry) => !stored.has(entry.id));
        outcome.duplicates +=
          entries.filter((entry) => entry.agencyId === agencyId).length - fresh.length;
        if (fresh.length === 0) {
          continue;
        }
        const head = (await tx.head(agencyId)) ?? { seq: 0, hash: GENESIS_HASH };
        let { seq, hash } = head;
        const rows: NewChainEntry[] = fresh.map((entry) => {
          // NUL and lone surrogates escaped (jsonb cannot hold them): the stored form is hashed.
          const canonical = canonicalJson(toStorableJson(entry));
          const prevHash = hash;
          seq += 1;
          hash = chainHashOfCanonical(prevHash, canonical);
          return { agencyId, seq, id: entry.id, prevHash, hash, canonical };
        });
        await tx.insertEntries(rows);
        outcome.inserted += rows.length;
        outcome.segments.push({
          agencyId,
          fromSeq: head.seq + 1,
          toSeq: seq,
          prevHash: head.hash,
          headHash: hash,
        });
        const checkpoint = await this.checkpoints.checkpointIfDue(tx, agencyId, { seq, hash });
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
