/**
 * Canonical JSON, the one byte form of an audit entry that is hashed into the chain and signed in a
 * checkpoint:
 *
 * - object keys sorted by UTF-16 code units (JavaScript's default `sort()`), each key once;
 * - no whitespace anywhere;
 * - strings and numbers written exactly as `JSON.stringify` writes them (ECMAScript number
 *   serialisation: shortest round-trip form, `-0` as `0`);
 * - object members whose value is `undefined` are left out; `undefined` in an array is `null`;
 * - non-finite numbers, bigints, functions and symbols are rejected.
 *
 * For the JSON values audit entries hold this is the JSON Canonicalization Scheme (RFC 8785). The
 * stored `jsonb` of an entry parses back to a value with the same canonical form, so the chain can be
 * recomputed from the database alone.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) {
        throw new TypeError('canonical JSON cannot hold a non-finite number');
      }
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  }
  if (value instanceof Date) {
    return JSON.stringify(value.toISOString());
  }
  const record = value as Record<string, unknown>;
  const members: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const item = record[key];
    if (item !== undefined) {
      members.push(`${JSON.stringify(key)}:${canonicalJson(item)}`);
    }
  }
  return `{${members.join(',')}}`;
}
