import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import type { IncidentPriority, IncidentZoneSource, ResponseTargets } from '@gad/contracts';
import { Database, loadSqlFile, sqlOf } from '@gad/platform';
import type { PoolClient } from 'pg';
import { API_GATEWAY_CONFIG, type ApiGatewayConfig } from '../api-gateway.config';

const SQL = loadSqlFile(join(__dirname, 'response-times.repository.sql'));
const FIND = sqlOf(SQL, 'find');
const FIGURES = sqlOf(SQL, 'figures');
const EXPORT = sqlOf(SQL, 'export');

/** A report reads one consistent snapshot and writes nothing. */
const REPORT_BEGIN = 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY';

/** Rows the CSV export fetches from its cursor at a time. */
export const EXPORT_FETCH_ROWS = 2_000;

export interface ResponseTimesRow {
  incident_id: string;
  priority: IncidentPriority;
  type: string;
  zone: string;
  created_at: Date;
  call_received_at: Date | null;
  first_dispatch_at: Date | null;
  first_en_route_at: Date | null;
  first_on_scene_at: Date | null;
  cleared_at: Date | null;
}

/** One incident's summary with how its zone was found. */
export interface IncidentResponseTimesRow extends ResponseTimesRow {
  zone_id: string | null;
  zone_source: IncidentZoneSource;
}

export interface ResponseExportRow extends ResponseTimesRow {
  response_s: number | null;
  within_target: boolean | null;
}

/** The interval columns of a figures row: `<interval>_n`, `_p50`, `_p90`. */
export const FIGURE_INTERVALS = [
  'call_to_create',
  'create_to_dispatch',
  'dispatch_to_en_route',
  'en_route_to_on_scene',
  'response',
  'on_scene_to_cleared',
] as const;
export type FigureInterval = (typeof FIGURE_INTERVALS)[number];

export type ResponseFiguresRow = {
  g_priority: IncidentPriority | null;
  g_type: string | null;
  g_zone: string | null;
  g_period: Date | null;
  count: number;
  within_target: number;
} & Record<`${FigureInterval}_n`, number> &
  Record<`${FigureInterval}_p50` | `${FigureInterval}_p90`, number | null>;

export interface ResponseFilters {
  agencyId: string;
  from: string;
  to: string;
  priorities?: readonly IncidentPriority[];
  type?: string;
  zone?: string;
  targets: ResponseTargets;
}

export interface ResponseGrouping {
  priority: boolean;
  type: boolean;
  zone: boolean;
  period: boolean;
  periodSize: 'hour' | 'day' | 'week' | 'month';
  timeZone: string;
}

function filterValues(filters: ResponseFilters): unknown[] {
  return [
    filters.agencyId,
    filters.from,
    filters.to,
    filters.priorities && filters.priorities.length > 0 ? [...filters.priorities] : null,
    filters.type ?? null,
    filters.zone ?? null,
  ];
}

function targetValues(targets: ResponseTargets): number[] {
  return [targets.P1, targets.P2, targets.P3, targets.P4];
}

/** The only place with SQL for the response-time summary and its figures. Scoped by agency. */
@Injectable()
export class ResponseTimesRepository {
  constructor(
    private readonly database: Database,
    @Inject(API_GATEWAY_CONFIG) private readonly config: ApiGatewayConfig,
  ) {}

  /** This transaction only: the reports' statement timeout (REPORTS_STATEMENT_TIMEOUT_MS). */
  private async setReportTimeout(client: PoolClient): Promise<void> {
    await client.query({
      text: "SELECT set_config('statement_timeout', $1, true)",
      values: [String(this.config.REPORTS_STATEMENT_TIMEOUT_MS)],
    });
  }

  async find(agencyId: string, incidentId: string): Promise<IncidentResponseTimesRow | undefined> {
    const [row] = await this.database.rows<IncidentResponseTimesRow>({
      text: FIND,
      values: [agencyId, incidentId],
    });
    return row;
  }

  /** The figures, read in one read-only snapshot with the reports' statement timeout. */
  figures(filters: ResponseFilters, grouping: ResponseGrouping): Promise<ResponseFiguresRow[]> {
    return this.database.transaction(
      async (client) => {
        await this.setReportTimeout(client);
        return this.figuresIn(client, filters, grouping);
      },
      { begin: REPORT_BEGIN, attempts: 1 },
    );
  }

  private figuresIn(
    client: PoolClient,
    filters: ResponseFilters,
    grouping: ResponseGrouping,
  ): Promise<ResponseFiguresRow[]> {
    return this.database.rows<ResponseFiguresRow>(
      {
        text: FIGURES,
        values: [
          ...filterValues(filters),
          grouping.priority,
          grouping.type,
          grouping.zone,
          grouping.period,
          grouping.periodSize,
          grouping.timeZone,
          ...targetValues(filters.targets),
        ],
      },
      client,
    );
  }

  /**
   * The export's rows through a server-side cursor in one read-only snapshot, a batch at a time:
   * never the whole range in memory. Stopping the iteration early closes the cursor and returns
   * the connection.
   */
  async *exportRows(filters: ResponseFilters): AsyncGenerator<ResponseExportRow[]> {
    const client = await this.database.connect();
    let open = false;
    try {
      await client.query(REPORT_BEGIN);
      open = true;
      await this.setReportTimeout(client);
      await client.query({
        text: `DECLARE response_export NO SCROLL CURSOR FOR ${EXPORT}`,
        values: [...filterValues(filters), ...targetValues(filters.targets)],
      });
      for (;;) {
        const batch = await client.query<ResponseExportRow>(
          `FETCH ${EXPORT_FETCH_ROWS} FROM response_export`,
        );
        if (batch.rows.length === 0) {
          break;
        }
        yield batch.rows;
      }
      await client.query('COMMIT');
      open = false;
    } finally {
      if (open) {
        await client.query('ROLLBACK').catch(() => undefined);
      }
      client.release();
    }
  }
}
