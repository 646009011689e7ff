/**
 * A token bucket (rate `perSecond`, capacity `burst`) plus a strike count of rejected takes within a
 * window, kept as plain fields so one per socket stays small.
 */
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;
  private strikes = 0;
  private strikeWindowStart = 0;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.refilledAt = now;
  }

  /** Takes one token; false when the bucket is empty (the caller rejects the message). */
  take(now: number): boolean {
    const elapsed = now - this.refilledAt;
    if (elapsed > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.perSecond) / 1000);
      this.refilledAt = now;
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Records a rejected message; returns the strikes within the current window. */
  strike(now: number, windowMs: number): number {
    if (now - this.strikeWindowStart > windowMs) {
      this.strikeWindowStart = now;
      this.strikes = 0;
    }
    this.strikes += 1;
    return this.strikes;
  }
}
