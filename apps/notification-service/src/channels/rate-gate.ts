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

  /**
   * Waits for `key`'s next slot, then for the next global one (so a chat held off by a 429 does not
   * hold up the other chats); returns the planned wait in ms.
   */
  async wait(key: string): Promise<number> {
    const start = this.now();
    const keyAt = Math.max(start, this.nextByKey.get(key) ?? 0);
    this.nextByKey.set(key, keyAt + this.keyGapMs);
    if (keyAt > start) {
      await this.sleep(keyAt - start);
    }
    const now = this.now();
    const globalAt = Math.max(now, this.nextGlobal);
    this.nextGlobal = globalAt + this.globalGapMs;
    this.nextByKey.set(key, Math.max(this.nextByKey.get(key) ?? 0, globalAt + this.keyGapMs));
    if (this.nextByKey.size > 10_000) {
      for (const [k, next] of this.nextByKey) {
        if (next < now) {
          this.nextByKey.delete(k);
        }
      }
    }
    if (globalAt > now) {
      await this.sleep(globalAt - now);
    }
    return keyAt - start + (globalAt - now);
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
