import {
  Inject,
  Injectable,
  Optional,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { uuidv7, type AuditCheckpointV1 } from '@gad/contracts';
import { createLogger } from '@gad/observability';
import { CheckpointSigner } from '../chain/checkpoint-signer';
import {
  ChainRepository,
  type ChainHead,
  type ChainTransaction,
  type CheckpointRecord,
} from '../ingest/chain.repository';
import type { WitnessRecord, WitnessSegment } from '../witness/witness-log';
import { WitnessService } from '../witness/witness.service';
import { CHECKPOINT_PUBLISHER, type CheckpointPublisher } from './checkpoint.publisher';

export interface CheckpointPolicy {
  /** Sign after this many entries of one chain. */
  every: number;
  /** Or this long after the chain last moved. */
  intervalMs: number;
}

export const CHECKPOINT_POLICY = Symbol('CHECKPOINT_POLICY');

/**
 * Signed checkpoints: inside a write transaction when a chain has grown by `every` entries since its
 * last checkpoint, and on a timer for chains this replica extended since (so a quiet chain is sealed
 * within `intervalMs`). Each is stored in `audit.checkpoints` and then published.
 */
@Injectable()
export class CheckpointService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = createLogger('audit-checkpoint');
  private readonly dirty = new Set<string>();
  private unpublished: CheckpointRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly created = metrics
    .getMeter('audit-log-worker')
    .createCounter('gad_audit_checkpoints_total', {
      description: 'Signed audit checkpoints stored',
    });
  private readonly tamperCounter = metrics
    .getMeter('audit-log-worker')
    .createCounter('gad_audit_chain_tamper_detected_total', {
      description: 'Chains whose head no longer chains to the last checkpoint this worker sealed',
    });
  /** The last checkpoint this process sealed (and witnessed) per chain. */
  private readonly sealedHeads = new Map<string, { seq: number; headHash: string }>();
  private tamperCount = 0;

  constructor(
    private readonly chains: ChainRepository,
    private readonly signer: CheckpointSigner,
    @Inject(CHECKPOINT_PUBLISHER) private readonly publisher: CheckpointPublisher,
    @Inject(CHECKPOINT_POLICY) private readonly policy: CheckpointPolicy,
    @Optional() private readonly witness?: WitnessService,
  ) {
    this.tamperCounter.add(0);
  }

  /** Times a chain was found not to chain to the last checkpoint this process sealed. */
  get tamperDetected(): number {
    return this.tamperCount;
  }

  /** Starts the interval timer. */
  start(): void {
    if (!this.timer) {
      this.timer = setInterval(() => void this.sealDirty(), this.policy.intervalMs);
      this.timer.unref();
    }
  }

  /**
   * Adopts chains any replica extended recently (`lookbackMs`), so entries a crashed replica wrote
   * after its last checkpoint are sealed by the next tick; the tick skips chains already sealed.
   */
  async adoptRecentChains(lookbackMs: number): Promise<number> {
    const agencies = await this.chains.agenciesWrittenSince(new Date(Date.now() - lookbackMs));
    for (const agencyId of agencies) {
      this.dirty.add(agencyId);
    }
    return agencies.length;
  }

  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.adoptRecentChains(Math.max(this.policy.intervalMs * 3, 10 * 60_000));
    } catch (error) {
      this.logger.error({ error: (error as Error).message }, 'could not look for unsealed chains');
    }
    this.start();
  }

  onModuleDestroy(): void {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /**
   * Within a write transaction holding `agencyId`'s lock: signs and stores a checkpoint for `head`
   * when the chain has grown by `every` since the last one (or by anything, when `force`).
   * `lastCheckpointSeq`, when given, was read under the same lock in this transaction.
   */
  async checkpointIfDue(
    tx: ChainTransaction,
    agencyId: string,
    head: ChainHead,
    { force = false, lastCheckpointSeq }: { force?: boolean; lastCheckpointSeq?: number } = {},
  ): Promise<CheckpointRecord | undefined> {
    const lastSeq = lastCheckpointSeq ?? (await tx.lastCheckpointSeq(agencyId));
    const grown = head.seq - lastSeq;
    if (grown <= 0 || (!force && grown < this.policy.every)) {
      if (grown > 0) {
        this.dirty.add(agencyId);
      }
      return undefined;
    }
    await this.checkChainsToSealed(tx, agencyId, head, lastSeq);
    const payload = {
      checkpointId: uuidv7(),
      agencyId,
      seq: head.seq,
      headHash: head.hash,
      count: grown,
      prevCheckpointSeq: lastSeq,
      createdAt: new Date().toISOString(),
      keyId: this.signer.keyId,
    };
    const checkpoint: CheckpointRecord = { ...payload, signature: this.signer.sign(payload) };
    await tx.insertCheckpoint(checkpoint);
    this.dirty.delete(agencyId);
    return checkpoint;
  }

  /**
   * Before sealing: the chain must still chain to the last checkpoint this process sealed (and
   * witnessed): that checkpoint still stored, the head not behind it, its entry with the sealed
   * hash. Otherwise someone with database rights deleted or rewrote what was sealed: logged as an
   * error and counted (`gad_audit_chain_tamper_detected_total`); the entries are still chained and
   * sealed (the verifier locates the damage against the witness), never dropped.
   */
  private async checkChainsToSealed(
    tx: ChainTransaction,
    agencyId: string,
    head: ChainHead,
    lastSeq: number,
  ): Promise<void> {
    const sealed = this.sealedHeads.get(agencyId);
    if (!sealed) {
      return;
    }
    let problem: string | undefined;
    if (lastSeq < sealed.seq) {
      problem = `the last stored checkpoint is at ${lastSeq}, but this worker sealed ${sealed.seq}`;
    } else if (head.seq < sealed.seq) {
      problem = `the head ${head.seq} is behind the checkpoint this worker sealed at ${sealed.seq}`;
    } else if ((await tx.hashAt(agencyId, sealed.seq)) !== sealed.headHash) {
      problem = `entry ${sealed.seq} no longer has the hash this worker sealed`;
    }
    if (problem) {
      this.tamperCount += 1;
      this.tamperCounter.add(1);
      this.logger.error(
        { agencyId, sealedSeq: sealed.seq, headSeq: head.seq, lastCheckpointSeq: lastSeq },
        `audit chain does not chain to the last sealed checkpoint: ${problem} ` +
          '(run npm run audit:verify -- --witness)',
      );
    }
  }

  /** Signs a checkpoint now for every chain this replica extended since its last checkpoint. */
  async sealDirty(): Promise<CheckpointRecord[]> {
    const sealed: CheckpointRecord[] = [];
    for (const agencyId of [...this.dirty]) {
      try {
        const checkpoint = await this.chains.withChains([agencyId], async (tx) => {
          const head = await tx.head(agencyId);
          return head ? this.checkpointIfDue(tx, agencyId, head, { force: true }) : undefined;
        });
        this.dirty.delete(agencyId);
        if (checkpoint) {
          sealed.push(checkpoint);
        }
      } catch (error) {
        this.logger.error({ agencyId, error: (error as Error).message }, 'checkpoint failed');
      }
    }
    await this.committed(sealed);
    return sealed;
  }

  /**
   * After commit: hands the transaction's chain segments and checkpoints to the witness (not
   * awaited: the witness write queue keeps commit order), counts and publishes the checkpoints.
   * When publishing fails they stay stored and are retried on the next tick (up to 10,000 kept in
   * memory); failures are logged, not thrown.
   */
  async committed(
    checkpoints: readonly CheckpointRecord[],
    segments: readonly WitnessSegment[] = [],
  ): Promise<void> {
    if (this.witness?.enabled) {
      const records: WitnessRecord[] = [
        ...segments.map((segment) => ({ kind: 'segment' as const, ...segment })),
        ...checkpoints.map((checkpoint) => ({ kind: 'checkpoint' as const, ...checkpoint })),
      ];
      void this.witness.append(records);
    }
    for (const checkpoint of checkpoints) {
      const known = this.sealedHeads.get(checkpoint.agencyId);
      if (!known || known.seq < checkpoint.seq) {
        this.sealedHeads.set(checkpoint.agencyId, {
          seq: checkpoint.seq,
          headHash: checkpoint.headHash,
        });
      }
    }
    this.created.add(checkpoints.length);
    const batch = [...this.unpublished, ...checkpoints];
    if (batch.length === 0) {
      return;
    }
    this.unpublished = [];
    try {
      await this.publisher.publish(batch.map(toEvent));
    } catch (error) {
      this.unpublished = batch.slice(-10_000);
      this.logger.error(
        { checkpoints: batch.length, error: (error as Error).message },
        'publishing audit checkpoints failed (they are stored; retried)',
      );
    }
  }
}

export const toEvent = (checkpoint: CheckpointRecord): AuditCheckpointV1 => ({ ...checkpoint });
