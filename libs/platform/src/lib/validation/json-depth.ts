/** Deepest nesting of objects and arrays a request body may have (a geofence needs about 8). */
export const MAX_JSON_DEPTH = 64;

/**
 * True when `value` nests objects/arrays deeper than `maxDepth` (`{}` and `[]` are depth 1).
 * Iterative, so a 10,000-deep body cannot overflow the stack here, and it stops at the first
 * level too deep: run it before anything recursive (validation, hashing, logging) walks a body.
 */
export function exceedsJsonDepth(value: unknown, maxDepth = MAX_JSON_DEPTH): boolean {
  const stack: Array<{ node: unknown; depth: number }> = [{ node: value, depth: 1 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop() as { node: unknown; depth: number };
    if (node === null || typeof node !== 'object') {
      continue;
    }
    if (depth > maxDepth) {
      return true;
    }
    for (const child of Object.values(node as Record<string, unknown>)) {
      if (child !== null && typeof child === 'object') {
        stack.push({ node: child, depth: depth + 1 });
      }
    }
  }
  return false;
}
