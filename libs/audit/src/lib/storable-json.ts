import { isStorableText } from '@gad/contracts';

/**
 * Escape mark of stored audit strings: U+E000, the first private-use code point.
 *
 * PostgreSQL `jsonb` cannot hold NUL (U+0000) or an unpaired UTF-16 surrogate, but an audit entry is
 * never dropped for its content. So before an entry is hashed and stored, every string (object keys
 * included) that holds such a code unit, or that starts with the mark, is written as the mark
 * followed by the string with each NUL, unpaired surrogate and mark replaced by the mark and the
 * code unit as 4 lowercase hex digits (`"a\u0000b"` → `"\ue000a\ue0000000b"`). Every other string
 * is stored as it is. The chain hashes this stored form, so `verify` recomputes it from the
 * database alone; {@link fromStorableJson} gives back the original entry exactly (queries answer
 * with it). Reversible: a stored string starts with the mark if and only if it was escaped.
 */
export const STORED_ESCAPE_MARK = '\ue000';

const MARK_CODE = 0xe000;

function needsEscape(value: string): boolean {
  return value.startsWith(STORED_ESCAPE_MARK) || !isStorableText(value);
}

function hex4(code: number): string {
  return code.toString(16).padStart(4, '0');
}

/** One string in its stored form. */
export function toStorableString(value: string): string {
  if (!needsEscape(value)) {
    return value;
  }
  let out = STORED_ESCAPE_MARK;
  for (let index = 0; index < value.length; index += 1) {
    const unit = value.charCodeAt(index);
    const next = value.charCodeAt(index + 1);
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out += value[index] + value[index + 1];
      index += 1;
    } else if (unit === 0 || unit === MARK_CODE || (unit >= 0xd800 && unit <= 0xdfff)) {
      out += STORED_ESCAPE_MARK + hex4(unit);
    } else {
      out += value[index];
    }
  }
  return out;
}

/** The original of a stored string (strings not starting with the mark are returned as they are). */
export function fromStorableString(value: string): string {
  if (!value.startsWith(STORED_ESCAPE_MARK)) {
    return value;
  }
  return value
    .slice(STORED_ESCAPE_MARK.length)
    .replace(/\ue000([0-9a-f]{4})/g, (_, code: string) => String.fromCharCode(parseInt(code, 16)));
}

function mapStrings(value: unknown, map: (text: string) => string): unknown {
  if (typeof value === 'string') {
    return map(value);
  }
  if (Array.isArray(value)) {
    return value.map((item) => mapStrings(item, map));
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([key, item]) => [
        map(key),
        mapStrings(item, map),
      ]),
    );
  }
  return value;
}

/** An entry (any JSON value) in the form that is hashed and stored as `jsonb`. */
export function toStorableJson<T>(value: T): T {
  return mapStrings(value, toStorableString) as T;
}

/** The original of a stored entry. */
export function fromStorableJson<T = unknown>(value: unknown): T {
  return mapStrings(value, fromStorableString) as T;
}
