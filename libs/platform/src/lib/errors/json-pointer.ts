/** RFC 6901 encoding of one reference token. */
export function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Builds an RFC 6901 JSON pointer from path segments: `['body', 'a/b', 0]` -> `/body/a~1b/0`. */
export function toJsonPointer(segments: readonly PropertyKey[]): string {
  return segments.map((segment) => `/${escapePointerToken(String(segment))}`).join('');
}
