/**
 * PostgreSQL array literals for the `unnest($n::type[])` parameters of batch statements
 * (geo-service's ingestion and geofence evaluation). node-postgres turns a JS array into the same literal, but quotes
 * and escapes every element with two regular expressions and formats every Date through local time;
 * for ten arrays of 500 elements per batch that was about a tenth of geo-service's CPU while
 * ingesting (docs/benchmarks.md, Geo). Here each array is written in one pass, and a text element
 * is escaped only when it holds a quote or a backslash.
 */

/** `{e1,e2,NULL}`: each element written by `element`, `null`/`undefined` as `NULL`. */
function arrayLiteral<T>(values: ReadonlyArray<T | null>, element: (value: T) => string): string {
  let out = '{';
  for (let i = 0; i < values.length; i += 1) {
    const value = values[i];
    if (i > 0) out += ',';
    out += value === null || value === undefined ? 'NULL' : element(value);
  }
  return `${out}}`;
}

/** `{1.5,NULL,2}` for float8/real/bigint/int arrays (finite numbers or null). */
export const numberArray = (values: ReadonlyArray<number | null>): string =>
  arrayLiteral(values, String);

/** `{"a","b\"c",NULL}` for text arrays: every element quoted, `"` and `\` escaped. */
export const textArray = (values: ReadonlyArray<string | null>): string =>
  arrayLiteral(values, (value) =>
    /["\\]/.test(value) ? `"${value.replace(/["\\]/g, '\\$&')}"` : `"${value}"`,
  );

/** `{2026-12-02T06:30:00.123Z,...}` for timestamptz arrays (UTC ISO-8601, millisecond precision). */
export const timestampArray = (values: ReadonlyArray<Date | string | null>): string =>
  arrayLiteral(values, (value) => (typeof value === 'string' ? `"${value}"` : value.toISOString()));

/** `{t,f}` for bool arrays. */
export const boolArray = (values: readonly boolean[]): string =>
  arrayLiteral(values, (value) => (value ? 't' : 'f'));
