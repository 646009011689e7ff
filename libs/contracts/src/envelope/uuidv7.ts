/** Random bytes drawn from Web Crypto in one call and used up 10 bytes per id. */
const pool = new Uint8Array(10 * 512);
let poolOffset = pool.length;
/** The 16 bytes of the id being built. */
const scratch = new Uint8Array(16);
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/**
 * RFC 9562 UUIDv7: 48-bit Unix milliseconds, then random bits. Ids sort by their creation
 * millisecond and index well; ids of one millisecond sort at random. Uses Web Crypto
 * (`globalThis.crypto`), available in browsers and Node >= 19. The random bytes come from a pool
 * refilled every 512 ids: one `getRandomValues` call (a system call in Node) per id was a tenth of
 * geo-service's CPU while it published `unit.moved` events (docs/benchmarks.md, Geo).
 */
export function uuidv7(now: number = Date.now()): string {
  if (poolOffset + 10 > pool.length) {
    globalThis.crypto.getRandomValues(pool);
    poolOffset = 0;
  }
  const b = scratch;
  b.set(pool.subarray(poolOffset, poolOffset + 10), 6);
  // Used bytes are not handed out again.
  poolOffset += 10;
  let ms = now;
  for (let i = 5; i >= 0; i -= 1) {
    b[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  b[6] = 0x70 | (b[6] & 0x0f);
  b[8] = 0x80 | (b[8] & 0x3f);
  const h = HEX;
  return (
    h[b[0]] +
    h[b[1]] +
    h[b[2]] +
    h[b[3]] +
    '-' +
    h[b[4]] +
    h[b[5]] +
    '-' +
    h[b[6]] +
    h[b[7]] +
    '-' +
    h[b[8]] +
    h[b[9]] +
    '-' +
    h[b[10]] +
    h[b[11]] +
    h[b[12]] +
    h[b[13]] +
    h[b[14]] +
    h[b[15]]
  );
}

export const UUID_V7_PATTERN =
  /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
