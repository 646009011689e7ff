import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { PositionFix } from '@gad/contracts';
import { GEO_SERVICE_CONFIG, type GeoServiceConfig } from '../geo-service.config';
import { PositionsService } from './positions.service';

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

interface Pending {
  fixes: PositionFix[];
  waiters: Waiter[];
  traceparent?: string;
  timer?: NodeJS.Timeout;
}

/**
 * Merges fixes from many stream entries (handled concurrently) into batches per agency: a batch is
 * ingested when it reaches INGEST_BATCH_MAX fixes or INGEST_BATCH_DELAY_MS after its first fix.
 * Each `submit` resolves when its fixes are committed and rejects when their batch failed (the
 * stream entry is then retried; duplicates are ignored by ingestion).
 */
@Injectable()
export class IngestBatcher implements OnApplicationShutdown {
  private readonly pending = new Map<string, Pending>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly positions: PositionsService,
    @Inject(GEO_SERVICE_CONFIG) private readonly config: GeoServiceConfig,
  ) {}

  submit(agencyId: string, fixes: readonly PositionFix[], traceparent?: string): Promise<void> {
    if (fixes.length === 0) {
      return Promise.resolve();
    }
    const current = this.pending.get(agencyId);
    if (current && current.fixes.length + fixes.length > this.config.INGEST_BATCH_MAX) {
      this.flush(agencyId);
    }
    const batch = this.pending.get(agencyId) ?? this.open(agencyId, traceparent);
    batch.fixes.push(...fixes);
    const done = new Promise<void>((resolve, reject) => batch.waiters.push({ resolve, reject }));
    if (batch.fixes.length >= this.config.INGEST_BATCH_MAX) {
      this.flush(agencyId);
    }
    return done;
  }

  /** Ingests everything pending now and waits for all batches in flight. */
  async drain(): Promise<void> {
    for (const agencyId of [...this.pending.keys()]) {
      this.flush(agencyId);
    }
    await Promise.allSettled([...this.inFlight]);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.drain();
  }

  private open(agencyId: string, traceparent: string | undefined): Pending {
    const batch: Pending = { fixes: [], waiters: [], traceparent };
    batch.timer = setTimeout(() => this.flush(agencyId), this.config.INGEST_BATCH_DELAY_MS);
    this.pending.set(agencyId, batch);
    return batch;
  }

  private flush(agencyId: string): void {
    const batch = this.pending.get(agencyId);
    if (!batch) {
      return;
    }
    this.pending.delete(agencyId);
    clearTimeout(batch.timer);
    const run = this.ingest(agencyId, batch).finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
  }

  private async ingest(agencyId: string, batch: Pending): Promise<void> {
    try {
      for (let start = 0; start < batch.fixes.length; start += this.config.INGEST_BATCH_MAX) {
        await this.positions.ingest(
          agencyId,
          batch.fixes.slice(start, start + this.config.INGEST_BATCH_MAX),
          batch.traceparent,
        );
      }
      batch.waiters.forEach((waiter) => waiter.resolve());
    } catch (error) {
      batch.waiters.forEach((waiter) => waiter.reject(error));
    }
  }
}
