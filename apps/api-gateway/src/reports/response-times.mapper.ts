import {
  RESPONSE_EXPORT_COLUMNS,
  type IncidentResponseTimes,
  type IntervalFigures,
  type ResponseFigureGroup,
  type ResponseInterval,
  type ResponseTargets,
} from '@gad/contracts';
import type {
  FigureInterval,
  IncidentResponseTimesRow,
  ResponseExportRow,
  ResponseFiguresRow,
  ResponseTimesRow,
} from './response-times.repository';

/** Contract interval name → column prefix of the figures query. */
const INTERVAL_COLUMNS: Record<ResponseInterval, FigureInterval> = {
  callToCreate: 'call_to_create',
  createToDispatch: 'create_to_dispatch',
  dispatchToEnRoute: 'dispatch_to_en_route',
  enRouteToOnScene: 'en_route_to_on_scene',
  response: 'response',
  onSceneToCleared: 'on_scene_to_cleared',
};

const iso = (value: Date | null): string | null => (value ? new Date(value).toISOString() : null);
const seconds = (to: Date | null, from: Date | null): number | undefined =>
  to && from ? (new Date(to).getTime() - new Date(from).getTime()) / 1000 : undefined;
const round = (value: number | null): number | null =>
  value === null ? null : Math.round(value * 1000) / 1000;

/** When the response clock starts: the first call if it came before the incident, else creation. */
function startOf(row: ResponseTimesRow): Date {
  const created = new Date(row.created_at);
  return row.call_received_at && new Date(row.call_received_at) < created
    ? new Date(row.call_received_at)
    : created;
}

export function toIncidentResponseTimes(
  row: ResponseTimesRow & Partial<Pick<IncidentResponseTimesRow, 'zone_id' | 'zone_source'>>,
  targets: ResponseTargets,
): IncidentResponseTimes {
  const start = startOf(row);
  const callToCreate =
    row.call_received_at && new Date(row.call_received_at) <= new Date(row.created_at)
      ? seconds(row.created_at, row.call_received_at)
      : undefined;
  const intervals: Partial<Record<ResponseInterval, number | undefined>> = {
    callToCreate,
    createToDispatch: seconds(row.first_dispatch_at, row.created_at),
    dispatchToEnRoute: seconds(row.first_en_route_at, row.first_dispatch_at),
    enRouteToOnScene: seconds(row.first_on_scene_at, row.first_en_route_at),
    response: seconds(row.first_on_scene_at, start),
    onSceneToCleared: seconds(row.cleared_at, row.first_on_scene_at),
  };
  const targetS = targets[row.priority];
  const response = intervals.response;
  return {
    incidentId: row.incident_id,
    priority: row.priority,
    type: row.type,
    zone: row.zone,
    ...(row.zone_source ? { zoneId: row.zone_id ?? null, zoneSource: row.zone_source } : {}),
    milestones: {
      callReceivedAt: iso(row.call_received_at),
      createdAt: new Date(row.created_at).toISOString(),
      firstDispatchAt: iso(row.first_dispatch_at),
      firstEnRouteAt: iso(row.first_en_route_at),
      firstOnSceneAt: iso(row.first_on_scene_at),
      clearedAt: iso(row.cleared_at),
    },
    intervalsS: Object.fromEntries(
      Object.entries(intervals).filter(
        (entry): entry is [string, number] => entry[1] !== undefined,
      ),
    ),
    targetS,
    withinTarget: response === undefined ? null : response <= targetS,
  };
}

export function toResponseFigureGroup(row: ResponseFiguresRow): ResponseFigureGroup {
  const intervals = Object.fromEntries(
    (Object.keys(INTERVAL_COLUMNS) as ResponseInterval[]).map((interval) => {
      const column = INTERVAL_COLUMNS[interval];
      const figures: IntervalFigures = {
        count: row[`${column}_n`],
        medianS: round(row[`${column}_p50`]),
        p90S: round(row[`${column}_p90`]),
      };
      return [interval, figures];
    }),
  ) as Record<ResponseInterval, IntervalFigures>;
  const onScene = row.response_n;
  return {
    key: {
      ...(row.g_priority !== null ? { priority: row.g_priority } : {}),
      ...(row.g_type !== null ? { type: row.g_type } : {}),
      ...(row.g_zone !== null ? { zone: row.g_zone } : {}),
      ...(row.g_period !== null ? { period: new Date(row.g_period).toISOString() } : {}),
    },
    count: row.count,
    intervals,
    withinTarget: {
      count: row.within_target,
      share: onScene > 0 ? Math.round((row.within_target / onScene) * 10_000) / 10_000 : null,
    },
  };
}

/** One CSV field (RFC 4180), with spreadsheet formulas neutralised (a leading `'`). */
function csvField(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  let text = value instanceof Date ? value.toISOString() : String(value);
  if (/^[=+\-@\t\r]/.test(text) && typeof value === 'string') {
    text = `'${text}`;
  }
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const RESPONSE_EXPORT_HEADER = `${RESPONSE_EXPORT_COLUMNS.join(',')}\r\n`;

export function toCsvLine(row: ResponseExportRow): string {
  return (
    [
      row.incident_id,
      row.priority,
      row.type,
      row.zone,
      row.call_received_at,
      row.created_at,
      row.first_dispatch_at,
      row.first_en_route_at,
      row.first_on_scene_at,
      row.cleared_at,
      row.response_s === null ? null : round(Number(row.response_s)),
      row.within_target,
    ]
      .map(csvField)
      .join(',') + '\r\n'
  );
}
