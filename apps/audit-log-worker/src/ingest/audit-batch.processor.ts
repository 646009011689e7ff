import { Inject, Injectable } from '@nestjs/common';
import {
  AUDIT_ENTRIES_JOB,
  AUDIT_ENTRY_JOB,
  Queues,
  auditEntriesJobSchema,
  auditEntrySchema,
  auditJobId,
  type AuditEntry,
} from '@gad/contracts';
import { auditQueuePrefix } from '@gad/audit';
import { QueueProcessor, type QueueConnectionOptions, type QueueWorkerSpec } from '@gad/platform';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { IngestService } from './ingest.service';
import { MicroBatcher } from './micro-batcher';
import { isTransientDatabaseError } from './transient-error';

export interface AuditWorkerOptions {
  redisUrl: string;
  keyPrefix: string;
  concurrency: number;
  batchSize: number;
  batchMaxWaitMs: number;
  /** Write lanes: chains are spread over this many batches written in parallel transactions. */
  writers: number;
  /**
   * BullMQ Workers in this process sharing `concurrency`: one Worker fetches its jobs one Redis
   * round trip at a time, several fetch in parallel.
   */
  fetchers: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
}

export const AUDIT_WORKER_OPTIONS = Symbol('AUDIT_WORKER_OPTIONS');

/**
 * Consumes the BullMQ queue `audit`. A job holds one or more entries (`audit.entries`; the older
 * one-entry `audit.entry` is still accepted). OSS BullMQ has no batch processor, so this is a Worker
 * with high concurrency whose processor puts each of a job's entries into a {@link MicroBatcher} and
 * awaits the batch's commit: many jobs share one transaction, and a job completes only after all
 * its entries are stored.
 * Chains are spread over `writers` lanes by agency, each with its own batcher, so batches of
 * different chains commit in parallel transactions (one chain is always in the same lane). A
 * worker that dies between commit and completion leaves its jobs locked; they are delivered again
 * after the lock expires and skipped as already stored, so nothing is lost or duplicated. While the
 * database is unavailable the worker rate-limits itself and puts the jobs back without spending
 * their attempts; a batch that fails for another reason is retried entry by entry, so one bad entry
 * fails alone: the other entries of its job are stored, and the job is retried (skipping them), then
 * kept in the failed set. An entry that is not valid is never stored; the valid entries of its job
 * are, and the job fails at once naming the invalid ones.
 */
@Injectable()
export class AuditBatchProcessor extends QueueProcessor {
  private readonly lanes: MicroBatcher<AuditEntry>[];
  /** Consecutive batches lost to an unavailable database. */
  private outageStreak = 0;
  private pausedUntil = 0;

  constructor(
    @Inject(IngestService) ingest: Pick<IngestService, 'append'>,
    @Inject(AUDIT_WORKER_OPTIONS) private readonly options: AuditWorkerOptions,
  ) {
    super('audit-batch-processor');
    const write = async (
      entries: AuditEntry[],
    ): Promise<ReadonlyArray<Error | undefined> | undefined> => {
      try {
        await ingest.append(entries);
        this.outageStreak = 0;
        return undefined;
      } catch (error) {
        if (entries.length === 1 || isTransientDatabaseError(error)) {
          throw error;
        }
        // One bad entry must not hold the others back: write them one by one.
        return Promise.all(
          entries.map((entry) =>
            ingest.append([entry]).then(
              () => undefined,
              (single: unknown) => (single instanceof Error ? single : new Error(String(single))),
            ),
          ),
        );
      }
    };
    this.lanes = Array.from(
      { length: Math.max(1, options.writers) },
      () =>
        new MicroBatcher<AuditEntry>(write, {
          maxSize: options.batchSize,
          maxWaitMs: options.batchMaxWaitMs,
        }),
    );
  }

  /** The lane of an agency's chain: always the same one, so a chain is written by one lane. */
  private laneOf(agencyId: string): MicroBatcher<AuditEntry> {
    let hash = 0;
    for (let i = 0; i < agencyId.length; i += 1) {
      hash = (Math.imul(hash, 31) + agencyId.charCodeAt(i)) | 0;
    }
    return this.lanes[(hash >>> 0) % this.lanes.length];
  }

  protected connectionOptions(): QueueConnectionOptions {
    return {
      redisUrl: this.options.redisUrl,
      prefix: auditQueuePrefix(this.options.keyPrefix),
      // The completions of a committed batch leave in a few writes, not hundreds.
      enableAutoPipelining: true,
    };
  }

  protected queues(): QueueWorkerSpec<unknown>[] {
    return [
      {
        queue: Queues.Audit,
        process: (job: Job<unknown>) => this.process(job),
        fetchers: this.options.fetchers,
        options: {
          concurrency: this.options.concurrency,
          lockDuration: this.options.lockDurationMs,
          stalledInterval: this.options.stalledIntervalMs,
          // A crashed replica must never fail audit jobs: they are retried until stored.
          maxStalledCount: 1_000,
        },
        logFailedAs: 'error',
        depthGauge: {
          meter: 'audit-log-worker',
          name: 'gad_audit_queue_depth',
          description: 'Jobs on the audit queue by state (waiting, active, delayed, failed)',
        },
      },
    ];
  }

  private async process(job: Job<unknown>): Promise<void> {
    const { entries, invalid } = this.entriesOf(job);
    const results = await Promise.allSettled(
      entries.map((entry) => this.laneOf(entry.agencyId).add(entry)),
    );
    const errors = results.flatMap((result) =>
      result.status === 'rejected' ? [result.reason as unknown] : [],
    );
    const transient = errors.find((error) => isTransientDatabaseError(error));
    const worker = this.workers[0];
    if (transient !== undefined && worker) {
      // The rate limit is the queue's: it pauses every fetcher (and replica) alike.
      await this.backOff(worker, transient);
      // Back to waiting without spending an attempt: an outage never fails an audit job. Its
      // entries already stored are skipped when it comes back.
      throw Worker.RateLimitError();
    }
    if (invalid.length > 0) {
      throw new UnrecoverableError(invalid.join('; '));
    }
    if (errors.length > 0) {
      throw errors[0];
    }
  }

  /** A job's entries that can be stored, and why the others cannot. */
  private entriesOf(job: Job<unknown>): { entries: AuditEntry[]; invalid: string[] } {
    let candidates: unknown[];
    if (job.name === AUDIT_ENTRIES_JOB) {
      const shape = auditEntriesJobSchema.safeParse(job.data);
      if (!shape.success) {
        throw new UnrecoverableError(`invalid audit job: ${shape.error.message}`);
      }
      candidates = shape.data.entries;
    } else if (job.name === AUDIT_ENTRY_JOB) {
      candidates = [job.data];
    } else {
      throw new UnrecoverableError(`unexpected job ${job.name} on the audit queue`);
    }
    const ids = candidates.map((candidate) =>
      typeof candidate === 'object' && candidate !== null && 'id' in candidate
        ? String(candidate.id)
        : '',
    );
    if (auditJobId(ids.map((id) => ({ id }))) !== job.id) {
      throw new UnrecoverableError(`audit job id ${job.id} does not name its entries`);
    }
    const entries: AuditEntry[] = [];
    const invalid: string[] = [];
    candidates.forEach((candidate, index) => {
      const parsed = auditEntrySchema.safeParse(candidate);
      if (!parsed.success) {
        invalid.push(`invalid audit entry ${ids[index] || `#${index}`}: ${parsed.error.message}`);
      } else {
        entries.push(parsed.data);
      }
    });
    return { entries, invalid };
  }

  private async backOff(worker: Worker<unknown>, error: unknown): Promise<void> {
    const now = Date.now();
    if (now >= this.pausedUntil) {
      this.outageStreak += 1;
      const delay = Math.min(500 * 2 ** Math.min(this.outageStreak - 1, 6), 30_000);
      this.pausedUntil = now + delay;
      this.logger.warn(
        { error: (error as Error).message, pausedMs: delay },
        'database unavailable; audit intake paused',
      );
      await worker.rateLimit(delay);
    }
  }
}
