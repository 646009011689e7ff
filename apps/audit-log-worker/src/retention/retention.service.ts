import {
  Inject,
  Injectable,
  Optional,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { createLogger } from '@gad/observability';
import { CheckpointSigner } from '../chain/checkpoint-signer';
import { signPurgeAnchor } from '../chain/purge-anchor';
import { WitnessService } from '../witness/witness.service';
import { RetentionRepository } from './retention.repository';

export interface RetentionPolicy {
  /** Whole months kept after the month an entry was recorded in (at least 12). */
  retentionMonths: number;
  partitionsAhead: number;
  intervalMs: number;
}

export const RETENTION_POLICY = Symbol('RETENTION_POLICY');

export interface RetentionRun {
  created: number;
  purged: string[];
  /** Expired partitions kept because a checkpoint does not yet cover their last entries. */
  kept: string[];
}

/** First day (UTC) of the month that ends the retention window: partitions before it may go. */
export function retentionCutoff(now: Date, retentionMonths: number): string {
  const cutoff = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - retentionMonths, 1));
  return `${cutoff.getUTCFullYear()}${String(cutoff.getUTCMonth() + 1).padStart(2, '0')}`;
}

/**
 * Keeps monthly partitions ahead of time and purges expired ones: only whole partitions, only when
 * every chain's last entry in them is covered by a signed checkpoint, recording each chain's cut
 * point in `audit.purges` as a signed anchor (also written to the witness) so verification can
 * start right after it.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = createLogger('audit-retention');
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly repository: RetentionRepository,
    @Inject(RETENTION_POLICY) private readonly policy: RetentionPolicy,
    private readonly signer: CheckpointSigner,
    @Optional() private readonly witness?: WitnessService,
  ) {}

  start(): void {
    if (!this.timer) {
      this.timer = setInterval(() => {
        this.run().catch((error: unknown) =>
          this.logger.error(
            { error: (error as Error).message },
            'audit partition maintenance failed',
          ),
        );
      }, this.policy.intervalMs);
      this.timer.unref();
    }
  }

  /** Creates this month's and the coming partitions before the first job, then keeps at it. */
  async onApplicationBootstrap(): Promise<void> {
    await this.run();
    this.start();
  }

  onModuleDestroy(): void {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  async run(now = new Date()): Promise<RetentionRun> {
    const created = await this.repository.ensurePartitions(0, this.policy.partitionsAhead);
    const cutoff = retentionCutoff(now, Math.max(12, this.policy.retentionMonths));
    const purged: string[] = [];
    const kept: string[] = [];
    for (const partition of await this.repository.partitions()) {
      if (partition.slice('entries_p'.length) >= cutoff) {
        continue;
      }
      const heads = await this.repository.partitionHeads(partition);
      if (heads.some((head) => !head.covered)) {
        kept.push(partition);
        this.logger.warn(
          { partition },
          'expired audit partition kept: no checkpoint covers it yet',
        );
        continue;
      }
      const purgedAt = new Date().toISOString();
      const anchors = heads.map((head) =>
        signPurgeAnchor(this.signer, {
          agencyId: head.agencyId,
          throughSeq: head.seq,
          throughHash: head.hash,
          partition,
          purgedAt,
          keyId: this.signer.keyId,
        }),
      );
      await this.repository.purge(partition, anchors);
      // Written before the next partition goes: the witness keeps every cut.
      await this.witness?.append(anchors.map((anchor) => ({ kind: 'purge' as const, ...anchor })));
      purged.push(partition);
      this.logger.info({ partition, chains: heads.length }, 'purged audit partition');
    }
    return { created, purged, kept };
  }
}
