/**
 * Spaces calls so at most `perSecond` start in any second, overall and per key (Telegram: 30/s
 * per bot, 1/s per chat). `wait(key)` resolves when the call may start; slots are reserved in
 * order, so waiting callers never overtake each other.
 */
export class RateGate {
  private nextGlobal = 0;
  private readonly nextByKey = new Map<string, number>();
  private readonly globalGapMs: number;
  private readonly keyGapMs: number;

  constructor(
    globalPerSecond: number,
    keyPerSecond: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) =>
      new Promise((resolve) => setTimeout(resolve, ms)),
  ) {
    this.globalGapMs = 1000 / globalPerSecond;
    this.keyGapMs = 1000 / keyPerSecond;
  }

  /** Reserves the next slot for `key` and waits for it; returns the wait in ms. */
  async wait(key: string): Promise<number> {
    const now = this.now();
    const at = Math.max(now, this.nextGlobal, this.nextByKey.get(key) ?? 0);
    this.nextGlobal = at + this.globalGapMs;
    this.nextByKey.set(key, at + this.keyGapMs);
    if (this.nextByKey.size > 10_000) {
      for (const [k, next] of this.nextByKey) {
        if (next < now) {
          this.nextByKey.delete(k);
        }
      }
    }
    const delay = at - now;
    if (delay > 0) {
      await this.sleep(delay);
    }
    return delay;
  }

  /** Nothing may start on `key` (or at all, without a key) before `ms` from now (a 429's `retry_after`). */
  holdOff(ms: number, key?: string): void {
    const until = this.now() + ms;
    if (key === undefined) {
      this.nextGlobal = Math.max(this.nextGlobal, until);
    } else {
      this.nextByKey.set(key, Math.max(this.nextByKey.get(key) ?? 0, until));
    }
  }
}
