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
  const sorted = sortedCopy(value);
  return sorted === NOT_COPIED ? canonicalJsonByParts(value) : JSON.stringify(sorted);
}

/** {@link sortedCopy} could not copy a value whose canonical form JSON.stringify would not give. */
const NOT_COPIED = Symbol('not copied');

/**
 * A copy of `value` whose objects hold their members in sorted key order, so one (native)
 * `JSON.stringify` writes the canonical form: several times faster than writing it part by part,
 * and every chained entry is written so. Rejects what canonical JSON cannot hold, as
 * {@link canonicalJsonByParts} does. An object with a key that starts with a digit is not copied
 * (JavaScript puts array-index keys first whatever the insertion order): those take the slow path.
 */
function sortedCopy(value: unknown): unknown {
  if (value === null) {
    return null;
  }
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) {
        throw new TypeError('canonical JSON cannot hold a non-finite number');
      }
      return value;
    case 'object':
      break;
    default:
      throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
  }
  if (Array.isArray(value)) {
    const items: unknown[] = new Array(value.length);
    for (let index = 0; index < value.length; index += 1) {
      const item: unknown = value[index];
      const copied = item === undefined ? null : sortedCopy(item);
      if (copied === NOT_COPIED) {
        return NOT_COPIED;
      }
      items[index] = copied;
    }
    return items;
  }
  if (value instanceof Date) {
    return value.toISOString();
  }
  const record = value as Record<string, unknown>;
  // No prototype: a `__proto__` key is an own member, as JSON.parse makes it.
  const out = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(record).sort()) {
    const code = key.charCodeAt(0);
    if (code >= 48 && code <= 57) {
      return NOT_COPIED;
    }
    const item = record[key];
    if (item !== undefined) {
      const copied = sortedCopy(item);
      if (copied === NOT_COPIED) {
        return NOT_COPIED;
      }
      out[key] = copied;
    }
  }
  return out;
}

/** The canonical form written part by part (the definition; objects with array-index keys). */
function canonicalJsonByParts(value: unknown): string {
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
    return `[${value.map((item) => (item === undefined ? 'null' : canonicalJsonByParts(item))).join(',')}]`;
  }
  if (value instanceof Date) {
    return JSON.stringify(value.toISOString());
  }
  const record = value as Record<string, unknown>;
  const members: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const item = record[key];
    if (item !== undefined) {
      members.push(`${JSON.stringify(key)}:${canonicalJsonByParts(item)}`);
    }
  }
  return `{${members.join(',')}}`;
}
