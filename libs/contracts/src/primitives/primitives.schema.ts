import { z } from 'zod';

/**
 * One rule for every string the system accepts: no NUL (U+0000) and no unpaired UTF-16 surrogate.
 * PostgreSQL cannot store NUL in `text`/`jsonb` and refuses (or mangles to U+FFFD) a lone
 * surrogate, so such a string is refused at the edge (422 `validation_failed`, field error code
 * `invalid_text`, REST and socket alike) instead of failing later in a repository or a consumer.
 */
export const INVALID_TEXT_CODE = 'invalid_text';
export const INVALID_TEXT_MESSAGE = 'must not contain NUL (U+0000) or unpaired UTF-16 surrogates';

/** True when `value` holds no NUL and every surrogate is half of a pair. */
export function isStorableText(value: string): boolean {
  for (let index = 0; index < value.length; index += 1) {
    const unit = value.charCodeAt(index);
    if (unit === 0) {
      return false;
    }
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = value.charCodeAt(index + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) {
        return false;
      }
      index += 1;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return false;
    }
  }
  return true;
}

/**
 * A string that PostgreSQL can store: every string schema of the contracts starts here (a lint rule
 * refuses bare `z.string()` in libs/contracts). Chain as usual: `text().trim().min(1).max(200)`.
 */
export function text() {
  return z.string().check(storableText);
}

/**
 * Any string, NUL and lone surrogates included. Only for content that is never refused for what it
 * holds and that its receiver stores encoded: audit entries (audit-log-worker escapes such strings
 * reversibly before they reach `jsonb`, so an entry is never dropped for its content).
 */
export function anyText() {
  return z.string();
}

/** The check of {@link text} for string formats built otherwise: `z.url().check(storableText)`. */
export function storableText(ctx: z.core.ParsePayload<string>): void {
  if (!isStorableText(ctx.value)) {
    ctx.issues.push({
      code: 'invalid_format',
      format: INVALID_TEXT_CODE,
      input: ctx.value,
      message: INVALID_TEXT_MESSAGE,
    });
  }
}

/** Smallest positive normal double: PostgreSQL's `float8` refuses subnormals (SQLSTATE 22003). */
export const MIN_NORMAL_DOUBLE = 2.2250738585072014e-308;
export const INVALID_NUMBER_CODE = 'invalid_number';

/**
 * A number PostgreSQL can store: finite (zod refuses NaN and ±Infinity) and either 0 or of a
 * magnitude of at least {@link MIN_NORMAL_DOUBLE} (`5e-324` is refused with 422, not a 502).
 */
export function num() {
  return z.number().check((ctx) => {
    if (ctx.value !== 0 && Math.abs(ctx.value) < MIN_NORMAL_DOUBLE) {
      ctx.issues.push({
        code: 'too_small',
        origin: 'number',
        minimum: MIN_NORMAL_DOUBLE,
        inclusive: true,
        input: ctx.value,
        message: `must be 0 or at least ${MIN_NORMAL_DOUBLE} in magnitude`,
      });
    }
  });
}

/** Plain decimal as written in a query string: optional minus, no leading zeros, optional fraction. */
const DECIMAL = /^-?(?:0|[1-9][0-9]{0,15})(?:\.[0-9]{1,17})?$/;

/**
 * A number read from a query string or path: only plain decimal text (`10`, `-3.5`) becomes a
 * number; `''`, whitespace, `0x10`, `1e3`, `Infinity` or a repeated parameter stay as they are and
 * fail the inner schema (422) instead of being coerced the way `Number()` would.
 * `queryNumber(num().int().min(1).max(500).default(100))`.
 */
export function queryNumber<T extends z.ZodType>(schema: T) {
  const parsed = z.preprocess(
    (value) => (typeof value === 'string' && DECIMAL.test(value) ? Number(value) : value),
    schema,
  );
  // A preprocess step takes `undefined`, so zod would call every such parameter optional in the
  // published documents: required-ness is the inner schema's (give defaults inside, as above).
  Object.defineProperty(parsed._zod, 'optin', { get: () => schema._zod.optin, configurable: true });
  return parsed;
}

/** Earliest and latest instants a timestamp may name (PostgreSQL `timestamptz` stores far more). */
export const TIMESTAMP_MIN = '1900-01-01T00:00:00.000Z';
export const TIMESTAMP_MAX = '9999-12-31T23:59:59.999Z';
/** Largest UTC offset accepted (`+14:00` is the largest in use; PostgreSQL refuses beyond 15:59). */
export const MAX_OFFSET_MINUTES = 14 * 60;

const MIN_MS = Date.parse(TIMESTAMP_MIN);
const MAX_MS = Date.parse(TIMESTAMP_MAX);
const OFFSET = /([+-])(\d{2}):?(\d{2})$/;

/**
 * The bounds of {@link timestamp} for a string that passed its date-time format: between
 * {@link TIMESTAMP_MIN} and {@link TIMESTAMP_MAX} UTC with an offset within ±14:00.
 */
export function timestampInBounds(value: string): boolean {
  const at = Date.parse(value);
  const offset = OFFSET.exec(value);
  const offsetMinutes = offset ? Number(offset[2]) * 60 + Number(offset[3]) : 0;
  return !Number.isNaN(at) && offsetMinutes <= MAX_OFFSET_MINUTES && at >= MIN_MS && at <= MAX_MS;
}

/**
 * An RFC 3339 date-time with `Z` or an offset, bounded to what the database stores and what is
 * sensible: between {@link TIMESTAMP_MIN} and {@link TIMESTAMP_MAX} UTC, offsets within ±14:00.
 * Year 0 or `+23:59` answer 422 instead of reaching PostgreSQL.
 */
export function timestamp() {
  return z.iso.datetime({ offset: true }).check((ctx) => {
    if (Number.isNaN(Date.parse(ctx.value))) {
      return; // Not a date-time at all: the format check above already reported it.
    }
    if (!timestampInBounds(ctx.value)) {
      ctx.issues.push({
        code: 'invalid_format',
        format: 'datetime',
        input: ctx.value,
        message: `must be between ${TIMESTAMP_MIN} and ${TIMESTAMP_MAX} with an offset within ±14:00`,
      });
    }
  });
}
