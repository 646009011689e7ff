import {
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import {
  CommonErrorCode,
  type GeoGeofenceZoneAtReply,
  type GeoGeofenceZoneAtRequest,
  type GeoNearestRequest,
  type GeoNearestResponse,
} from '@gad/contracts';
import { createLogger } from '@gad/observability';
import {
  createDataSource,
  Database,
  DomainException,
  GENERIC_PLAN_SETTINGS,
  systemClock,
  type Clock,
} from '@gad/platform';
import type { DataSource } from 'typeorm';
import { NearestReader, type NearestReaderOptions } from './nearest.reader';
import { NearestRepository } from './nearest.repository';
import { ZoneReader } from './zone.reader';
import { ZoneRepository } from './zone.repository';

/** The schema the reads query (search path of the read pool). */
export const GEO_READ_SCHEMA = 'geo';

/**
 * Server settings of the read pool: geo-service's (generic plans from the first execution, ADR
 * 0009; JIT is off on every pool of `createDataSource`), and every transaction read-only, so no
 * statement sent on it can write whatever role it logs in as (docs/adr/0032).
 */
export const GEO_READ_CONNECTION_SETTINGS: Readonly<Record<string, string>> = {
  ...GENERIC_PLAN_SETTINGS,
  default_transaction_read_only: 'on',
};

export interface GeoReadModuleOptions extends NearestReaderOptions {
  /** `postgres://` URL of a role with SELECT on the tables read (GEO_READ_DATABASE_URL). */
  url: string;
  poolSize: number;
  /** Deadline of each read (server-side `statement_timeout`). */
  statementTimeoutMs: number;
  /** `application_name` of the pool's connections. */
  applicationName: string;
  clock?: Clock;
}

/** Seconds a client is told to wait when the read model cannot be reached. */
const RETRY_AFTER_S = 1;

/** Statement cancelled at its `statement_timeout`: answered 503 `query_timeout` by the filter. */
function isStatementTimeout(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '57014';
}

/**
 * The geo reads a caller outside geo-service runs itself, on a pool of its own (docs/adr/0032).
 * The pool opens when the app starts if PostgreSQL answers, else on the next read: the app starts
 * and serves everything else while the read model cannot be reached. A read that cannot reach
 * PostgreSQL (refused, reset, no pooled connection within the connect timeout, a server shutting
 * down) answers 503 `upstream_unavailable` with Retry-After; one past its deadline keeps the
 * statement timeout's 503 `query_timeout`. Never anything else.
 */
export class GeoReadModel implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = createLogger('geo-read');
  private readonly reader: NearestReader;
  private readonly zones: ZoneReader;
  private opening?: Promise<void>;

  constructor(
    private readonly dataSource: DataSource,
    clock: Clock,
    options: NearestReaderOptions,
  ) {
    const database = new Database(dataSource);
    this.reader = new NearestReader(new NearestRepository(database), clock, options);
    this.zones = new ZoneReader(new ZoneRepository(database));
  }

  async onModuleInit(): Promise<void> {
    await this.open().catch((error: unknown) =>
      this.logger.warn(
        { err: (error as Error)?.message },
        'geo read pool not opened at start: reads answer 503 until PostgreSQL answers',
      ),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.opening?.catch(() => undefined);
    if (this.dataSource.isInitialized) {
      await this.dataSource.destroy();
    }
  }

  /**
   * Nearest available units of `request.agencyId` (the caller's agency: every statement is
   * filtered by it). The request must be valid (`geoNearestRequestSchema`).
   */
  async nearest(request: GeoNearestRequest): Promise<GeoNearestResponse> {
    try {
      await this.open();
      return await this.reader.nearest(request);
    } catch (error) {
      throw this.unavailable(error);
    }
  }

  /**
   * The zone of `request.agencyId` (the caller's agency: the statement is filtered by it) at a
   * point, or `null` (docs/adr/0036). Fails as `nearest` does (503 `upstream_unavailable` or
   * `query_timeout`); the caller decides what an incident does without it.
   */
  async zoneAt(request: GeoGeofenceZoneAtRequest): Promise<GeoGeofenceZoneAtReply> {
    try {
      await this.open();
      return await this.zones.zoneAt(request);
    } catch (error) {
      throw this.unavailable(error);
    }
  }

  /** Opens the pool once (TypeORM's first connection); a failed attempt is retried by the next read. */
  private open(): Promise<void> {
    if (this.dataSource.isInitialized) {
      return Promise.resolve();
    }
    // Not `initializeDataSource`: it would create the schema, which a read-only connection may not
    // (and a reader has no business doing).
    this.opening ??= this.dataSource.initialize().then(
      () => undefined,
      (error: unknown) => {
        this.opening = undefined;
        throw error;
      },
    );
    return this.opening;
  }

  private unavailable(error: unknown): unknown {
    if (isStatementTimeout(error) || error instanceof DomainException) {
      return error;
    }
    // Logged once, with this cause, by the problem filter (a 503 is unexpected).
    return new DomainException(
      CommonErrorCode.UpstreamUnavailable,
      503,
      `the geo read model is unavailable; retry after ${RETRY_AFTER_S} s`,
      { cause: error, extensions: { retryAfter: RETRY_AFTER_S } },
    );
  }
}

/**
 * {@link GeoReadModel} (global) on a read-only pg pool of its own. Connections open on demand and
 * stay open while idle (docs/adr/0044); no migrations, no DDL, no health check of its own: the
 * app's readiness stays its own database's, and a read that fails answers 503.
 */
@Module({})
export class GeoReadModule {
  static forRoot(options: GeoReadModuleOptions): DynamicModule {
    return {
      module: GeoReadModule,
      global: true,
      providers: [
        {
          provide: GeoReadModel,
          useFactory: () =>
            new GeoReadModel(
              createDataSource({
                url: options.url,
                schema: GEO_READ_SCHEMA,
                poolSize: options.poolSize,
                statementTimeoutMs: options.statementTimeoutMs,
                applicationName: options.applicationName,
                settings: GEO_READ_CONNECTION_SETTINGS,
                // Reads on a request's path: no new backend after a quiet spell (docs/adr/0044).
                keepIdleConnections: true,
              }),
              options.clock ?? systemClock,
              {
                maxPositionAgeS: options.maxPositionAgeS,
                exclusionScanLimit: options.exclusionScanLimit,
              },
            ),
        },
      ],
      exports: [GeoReadModel],
    };
  }
}
