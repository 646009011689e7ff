/**
 * PostgreSQL array literals for the `unnest($n::type[])` parameters of the hot batch statements
 * (ingestion, geofence evaluation). node-postgres turns a JS array into the same literal, but quotes
 * and escapes every element with two regular expressions and formats every Date through local time;
 * for ten arrays of 500 elements per batch that was about a tenth of geo-service's CPU while
 * ingesting (docs/benchmarks.md, Geo). Elements here are quoted only when they need it.
 */

/** `{1.5,NULL,2}` for float8/real/bigint/int arrays (finite numbers or null). */
export function numberArray(values: ReadonlyArray<number | null>): string {
  let out = '{';
  for (let i = 0; i < values.length; i += 1) {
    const value = values[i];
    if (i > 0) out += ',';
    out += value === null || value === undefined ? 'NULL' : String(value);
  }
  return `${out}}`;
}

/** `{"a","b\"c",NULL}` for text arrays: every element quoted, `"` and `\` escaped. */
export function textArray(values: ReadonlyArray<string | null>): string {
  let out = '{';
  for (let i = 0; i < values.length; i += 1) {
    const value = values[i];
    if (i > 0) out += ',';
    if (value === null || value === undefined) {
      out += 'NULL';
    } else {
      out += `"${/["\\]/.test(value) ? value.replace(/["\\]/g, '\\$&') : value}"`;
    }
  }
  return `${out}}`;
}

/** `{2026-12-02T06:30:00.123Z,...}` for timestamptz arrays (UTC ISO-8601, millisecond precision). */
export function timestampArray(values: ReadonlyArray<Date | string>): string {
  let out = '{';
  for (let i = 0; i < values.length; i += 1) {
    const value = values[i] as Date | string;
    if (i > 0) out += ',';
    out += typeof value === 'string' ? `"${value}"` : value.toISOString();
  }
  return `${out}}`;
}

/** `{t,f}` for bool arrays. */
export function boolArray(values: readonly boolean[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i += 1) {
    if (i > 0) out += ',';
    out += values[i] ? 't' : 'f';
  }
  return `${out}}`;
}
