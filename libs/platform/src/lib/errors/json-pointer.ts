/** `value` with NUL and unpaired surrogates replaced by U+FFFD. */
function storable(value: string): string {
  let out = '';
  for (let index = 0; index < value.length; index += 1) {
    const unit = value.charCodeAt(index);
    const next = value.charCodeAt(index + 1);
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out += value.slice(index, index + 2);
      index += 1;
    } else {
      out += unit === 0 || (unit >= 0xd800 && unit <= 0xdfff) ? '\ufffd' : value[index];
    }
  }
  return out;
}

/**
 * RFC 6901 encoding of one reference token. A key holding NUL or an unpaired surrogate (refused by
 * every schema) is echoed with U+FFFD in their place, so the problem itself stays valid text.
 */
export function escapePointerToken(token: string): string {
  return storable(token).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Builds an RFC 6901 JSON pointer from path segments: `['body', 'a/b', 0]` -> `/body/a~1b/0`. */
export function toJsonPointer(segments: readonly PropertyKey[]): string {
  return segments.map((segment) => `/${escapePointerToken(String(segment))}`).join('');
}
