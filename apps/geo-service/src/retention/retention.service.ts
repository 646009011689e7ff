import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { GeoRetentionSetRequest } from '@gad/contracts';
import { CLOCK, type Clock } from '@gad/platform';
import { createLogger } from '@gad/observability';
import { GEO_SERVICE_CONFIG, type GeoServiceConfig } from '../geo-service.config';
import { dayKey, dayOfPartition, RetentionRepository } from './retention.repository';

const DAY_MS = 86_400_000;

export interface MaintenanceReport {
  created: string[];
  dropped: string[];
  /** Rows deleted per agency whose retention is shorter than the longest one (`*`: agencies on the default). */
  deleted: Record<string, number>;
}

function startOfDay(at: Date): Date {
  return new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS);
}

/**
 * Daily partitions of the position history: created ahead (and back as far as fixes are accepted),
 * dropped when older than the longest retention; agencies with a shorter retention have their
 * older rows deleted. Runs at boot and every MAINTENANCE_INTERVAL_MS, one replica at a time.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = createLogger('geo-retention');
  private timer?: NodeJS.Timeout;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly repository: RetentionRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(GEO_SERVICE_CONFIG) private readonly config: GeoServiceConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.runOnce();
    this.timer = setInterval(() => {
      this.running = this.runOnce().catch((error: unknown) =>
        this.logger.error({ error: String(error) }, 'partition maintenance failed'),
      );
    }, this.config.MAINTENANCE_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One maintenance pass; undefined when another replica is running one. */
  async runOnce(): Promise<MaintenanceReport | undefined> {
    const now = this.clock.now();
    const today = startOfDay(now);
    const backDays = Math.ceil(this.config.POSITION_MAX_FIX_AGE_H / 24);
    return this.repository.withMaintenanceLock(async (session) => {
      const report: MaintenanceReport = { created: [], dropped: [], deleted: {} };
      for (
        let offset = -backDays;
        offset <= this.config.POSITION_PARTITIONS_AHEAD_DAYS;
        offset += 1
      ) {
        const day = new Date(today.getTime() + offset * DAY_MS);
        if (await session.createPartition(day)) {
          report.created.push(dayKey(day));
        }
      }
      const retentions = await session.agencyRetentions();
      const longestDays = Math.max(
        this.config.POSITION_RETENTION_DAYS,
        ...retentions.map((agency) => agency.days),
      );
      const horizon = now.getTime() - longestDays * DAY_MS;
      for (const name of await session.partitions()) {
        const day = dayOfPartition(name);
        if (day && day.getTime() + DAY_MS <= horizon) {
          await session.dropPartition(name);
          report.dropped.push(name);
        }
      }
      for (const agency of retentions) {
        if (agency.days < longestDays) {
          const cutoff = new Date(now.getTime() - agency.days * DAY_MS);
          report.deleted[agency.agencyId] = await session.deleteOlderThan(agency.agencyId, cutoff);
        }
      }
      if (this.config.POSITION_RETENTION_DAYS < longestDays) {
        // Agencies without a setting keep the default retention.
        const cutoff = new Date(now.getTime() - this.config.POSITION_RETENTION_DAYS * DAY_MS);
        report.deleted['*'] = await session.deleteOlderThanExcept(
          cutoff,
          retentions.map((agency) => agency.agencyId),
        );
      }
      if (report.created.length > 0 || report.dropped.length > 0) {
        this.logger.info(
          { created: report.created, dropped: report.dropped },
          'history partitions created and dropped',
        );
      }
      return report;
    });
  }

  /** Creates the partitions covering these device times (ingestion's fallback). */
  async ensurePartitionsFor(times: readonly Date[]): Promise<void> {
    const days = [...new Set(times.map((time) => startOfDay(time).getTime()))];
    await this.repository.withMaintenanceLock(async (session) => {
      for (const day of days) {
        await session.createPartition(new Date(day));
      }
    });
  }

  /**
   * `agency.settings_changed`: the agency's `retentionDays`, or `null` for the deployment's
   * `POSITION_RETENTION_DAYS` (its own row removed).
   */
  async followAgencySettings(agencyId: string, retentionDays: number | null): Promise<void> {
    if (retentionDays === null) {
      await this.repository.clearRetention(agencyId);
    } else {
      await this.repository.setRetention(agencyId, retentionDays);
    }
  }

  async setRetention(request: GeoRetentionSetRequest): Promise<GeoRetentionSetRequest> {
    await this.repository.setRetention(request.agencyId, request.positionRetentionDays);
    return { agencyId: request.agencyId, positionRetentionDays: request.positionRetentionDays };
  }
}
