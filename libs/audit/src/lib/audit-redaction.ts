/** Keys whose values never reach the audit trail (matched case-insensitively, anywhere in the name). */
const SECRET_KEY =
  /pass(word|wd|phrase)?$|secret|token|authorization|cookie|api[-_]?key|credential|private[-_]?key|otp|^pin$|signature|hash$/i;

export const REDACTED = '[REDACTED]';

const MAX_DEPTH = 8;
const MAX_STRING = 4_000;
const MAX_KEYS = 200;

/**
 * A JSON-safe deep copy of `value` for the audit trail: values under secret-looking keys become
 * `[REDACTED]`; dates become ISO strings; `undefined`, functions and symbols are dropped; long
 * strings, wide objects and deep nesting are cut so one entry stays small. Characters `jsonb`
 * cannot hold (NUL, unpaired surrogates) are kept: every `jsonb` column that holds an entry stores
 * it escaped (`toStorableJson`, docs/adr/0021).
 */
export function redact(value: unknown, depth = 0): unknown {
  if (value === null) {
    return null;
  }
  switch (typeof value) {
    case 'string':
      return sanitizeText(value, MAX_STRING);
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      return undefined;
  }
  if (depth >= MAX_DEPTH) {
    return '[TRUNCATED]';
  }
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? null : value.toISOString();
  }
  if (Array.isArray(value)) {
    return value.slice(0, MAX_KEYS).map((item) => {
      const copy = redact(item, depth + 1);
      return copy === undefined ? null : copy;
    });
  }
  if (Buffer.isBuffer(value)) {
    return `[${value.length} bytes]`;
  }
  const out: Record<string, unknown> = {};
  let kept = 0;
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (kept >= MAX_KEYS) {
      break;
    }
    const safeKey = sanitizeText(key, 200);
    if (SECRET_KEY.test(key)) {
      out[safeKey] = REDACTED;
    } else {
      const copy = redact(item, depth + 1);
      if (copy === undefined) {
        continue;
      }
      out[safeKey] = copy;
    }
    kept += 1;
  }
  return out;
}

/** Cuts `value` to `max` characters (its content is kept as it is, NUL included). */
export function sanitizeText(value: string, max: number): string {
  return value.length > max ? value.slice(0, max) : value;
}
