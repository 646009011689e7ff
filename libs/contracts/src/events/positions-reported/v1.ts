import { z } from 'zod';
import { MAX_POSITIONS_PER_BATCH, positionFixSchema } from '../../http/positions.schema';
import {
  isStorableText,
  MIN_NORMAL_DOUBLE,
  timestampInBounds,
} from '../../primitives/primitives.schema';

/**
 * `positions.reported` v1 on `gad:geo:positions` (producers: ws-gateway from `/field` sockets,
 * api-gateway from `POST /v1/positions`). One envelope carries 1..500 fixes of the envelope's
 * agency; geo-service ingests them in batches.
 */
export const positionsReportedV1 = z.object({
  positions: z.array(positionFixSchema).min(1).max(MAX_POSITIONS_PER_BATCH),
});
export type PositionsReportedV1 = z.infer<typeof positionsReportedV1>;

/**
 * The pattern `timestamp()` (zod's RFC 3339 date-time with offset) tests, read from the schema; if
 * the schema ever stops having one, the check accepts nothing and the schema decides every entry.
 */
const recordedAtPattern: unknown = (
  positionFixSchema.shape.recordedAt._zod.def as { pattern?: unknown }
).pattern;
const DATE_TIME = recordedAtPattern instanceof RegExp ? recordedAtPattern : undefined;

const storableNumber = (value: unknown): value is number =>
  typeof value === 'number' &&
  Number.isFinite(value) &&
  (value === 0 || Math.abs(value) >= MIN_NORMAL_DOUBLE);

const numberIn = (value: unknown, min: number, max: number): boolean =>
  storableNumber(value) && value >= min && value <= max;

const textOf = (value: unknown, min: number, max: number): boolean =>
  typeof value === 'string' && value.length >= min && value.length <= max && isStorableText(value);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function isPlainPoint(value: unknown): boolean {
  if (!isRecord(value) || value.type !== 'Point') {
    return false;
  }
  let keys = 0;
  for (const key in value) {
    if (key !== 'type' && key !== 'coordinates') {
      return false;
    }
    keys += 1;
  }
  const coordinates = value.coordinates;
  return (
    keys === 2 &&
    Array.isArray(coordinates) &&
    coordinates.length === 2 &&
    storableNumber(coordinates[0]) &&
    storableNumber(coordinates[1])
  );
}

/** An optional key: absent, or present (not `undefined`) and passing `test`. */
const optional = (fix: Record<string, unknown>, key: string, test: (v: unknown) => boolean) =>
  !(key in fix) || (fix[key] !== undefined && test(fix[key]));

function isPlainFix(value: unknown): boolean {
  if (!isRecord(value)) {
    return false;
  }
  for (const key in value) {
    if (!PLAIN_FIX_KEYS.has(key)) {
      return false;
    }
  }
  const { unitId, recordedAt, seq } = value;
  return (
    textOf(unitId, 1, 100) &&
    isPlainPoint(value.position) &&
    typeof recordedAt === 'string' &&
    DATE_TIME !== undefined &&
    DATE_TIME.test(recordedAt) &&
    timestampInBounds(recordedAt) &&
    typeof seq === 'number' &&
    Number.isSafeInteger(seq) &&
    seq >= 0 &&
    optional(value, 'accuracyM', (v) => numberIn(v, 0, 1_000_000)) &&
    optional(value, 'speedMps', (v) => numberIn(v, 0, 10_000)) &&
    optional(value, 'headingDeg', (v) => numberIn(v, 0, 360)) &&
    optional(value, 'deviceId', (v) => textOf(v, 1, 200))
  );
}

/**
 * The keys the check knows the rules of, listed here and not read from the schema: a key added to
 * `positionFixSchema` sends every fix carrying it to the schema until the check learns its rules
 * (a spec compares this list with the schema's keys).
 */
export const PLAIN_FIX_KEYS: ReadonlySet<string> = new Set([
  'unitId',
  'position',
  'recordedAt',
  'seq',
  'accuracyM',
  'speedMps',
  'headingDeg',
  'deviceId',
]);

/**
 * One pass over `positions.reported` v1 data without copying it: true only when
 * {@link positionsReportedV1} accepts `data` and its output equals `data` (no key to strip or
 * default to fill), so the intake may hand `data` on as it is. False says nothing: the schema then
 * decides, with its error message (docs/adr/0037). geo-service takes about 500 fixes per batch from
 * the stream, and zod's parse (a copy of every fix) was ~9 % of its CPU.
 */
export function isPlainPositionsReportedV1(data: unknown): boolean {
  if (!isRecord(data)) {
    return false;
  }
  for (const key in data) {
    if (key !== 'positions') {
      return false;
    }
  }
  const positions = data.positions;
  if (
    !Array.isArray(positions) ||
    positions.length < 1 ||
    positions.length > MAX_POSITIONS_PER_BATCH
  ) {
    return false;
  }
  for (const fix of positions) {
    if (!isPlainFix(fix)) {
      return false;
    }
  }
  return true;
}
