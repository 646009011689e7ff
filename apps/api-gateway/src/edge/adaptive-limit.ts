/**
 * A latency-based concurrency limit per instance, after Netflix's Gradient2
 * (github.com/Netflix/concurrency-limits, docs/adr/0024). It compares the recent round-trip time
 * (`shortRtt`, the mean of the last window) with the long-term one (`longRtt`, an exponential
 * average over many windows): while requests take no longer than `tolerance` × the long-term time,
 * the limit grows by a queue allowance (√limit); when they take longer it shrinks in proportion,
 * so queueing inside the process stays bounded and the excess is refused at once instead of
 * waiting for a deadline. A limit nobody reaches (fewer than half of it in flight) is not grown.
 * While requests are held at the limit, slower than the long-term time, and still finish about as
 * fast as they ever did, that time rises ten times more slowly than otherwise (docs/adr/0030):
 * under a sustained overload the latency it admits stays near the unloaded one instead of
 * drifting up with its own queue.
 *
 * Pure and clock-injected: the edge feeds it samples, tests feed it numbers.
 */
export interface AdaptiveLimitOptions {
  initial: number;
  min: number;
  max: number;
  /** Accepted ratio of recent to long-term latency before the limit shrinks. Default 1.5. */
  tolerance?: number;
  /** Weight of a new estimate in the limit. Default 0.2. */
  smoothing?: number;
  /** Windows averaged into the long-term latency. Default 100. */
  longWindows?: number;
  /**
   * Windows averaged into the long-term latency while it rises with requests held at the limit
   * and the windows still finish at least half as many requests as the best recent one (our own
   * queue, not a slower service): the target then moves this slowly, so a sustained overload
   * cannot raise the latency it admits. Default 1000 (about 100 s of 100 ms windows).
   */
  overloadWindows?: number;
  /** A window closes after this long and at least `windowSamples` samples. Defaults 100 ms, 10. */
  windowMs?: number;
  windowSamples?: number;
  now?: () => number;
}

export class AdaptiveLimit {
  private limitValue: number;
  private inFlightCount = 0;
  private longRtt = 0;
  /** The most requests finished per ms in a window, decaying over `longWindows` windows. */
  private peakThroughput = 0;
  private windowStart: number;
  private windowSum = 0;
  private windowCount = 0;
  private windowMaxInFlight = 0;
  private windowDropped = false;
  private readonly now: () => number;

  constructor(private readonly options: AdaptiveLimitOptions) {
    this.now = options.now ?? (() => performance.now());
    this.limitValue = clamp(options.initial, options.min, options.max);
    this.windowStart = this.now();
  }

  /** The current limit (whole requests). */
  get limit(): number {
    return Math.floor(this.limitValue);
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  /**
   * Admits a request when fewer than `limit` are in flight: returns its `release` (call it once,
   * when the response is finished, with `dropped` for a response that timed out upstream), or
   * undefined when the request must be refused.
   */
  tryAcquire(): ((dropped?: boolean) => void) | undefined {
    if (this.inFlightCount >= this.limit) {
      return undefined;
    }
    this.inFlightCount += 1;
    const inFlightAtStart = this.inFlightCount;
    const started = this.now();
    let released = false;
    return (dropped = false) => {
      if (released) {
        return;
      }
      released = true;
      this.inFlightCount -= 1;
      this.sample(this.now() - started, inFlightAtStart, dropped);
    };
  }

  private sample(rtt: number, inFlight: number, dropped: boolean): void {
    this.windowSum += rtt;
    this.windowCount += 1;
    this.windowMaxInFlight = Math.max(this.windowMaxInFlight, inFlight);
    this.windowDropped ||= dropped;
    const now = this.now();
    if (
      this.windowCount < (this.options.windowSamples ?? 10) ||
      now - this.windowStart < (this.options.windowMs ?? 100)
    ) {
      return;
    }
    const shortRtt = this.windowSum / this.windowCount;
    const throughput = this.windowCount / Math.max(now - this.windowStart, 1e-3);
    const maxInFlight = this.windowMaxInFlight;
    const windowDropped = this.windowDropped;
    this.windowStart = now;
    this.windowSum = 0;
    this.windowCount = 0;
    this.windowMaxInFlight = 0;
    this.windowDropped = false;
    this.update(shortRtt, throughput, maxInFlight, windowDropped);
  }

  private update(
    shortRtt: number,
    throughput: number,
    maxInFlight: number,
    dropped: boolean,
  ): void {
    const { min, max } = this.options;
    const longWindows = this.options.longWindows ?? 100;
    const limited = maxInFlight >= this.limitValue / 2;
    this.peakThroughput = Math.max(throughput, this.peakThroughput * (1 - 1 / longWindows));
    if (this.longRtt === 0) {
      this.longRtt = shortRtt;
    } else {
      // Slower than usual with requests held at the limit while the service still finishes
      // about as many as it ever did: by Little's law the extra latency is our own queue, and it
      // must not become the new normal (Gradient2's drift under sustained load: the limit would
      // climb to its ceiling and admit ever slower requests). When fewer finish, the service
      // itself got slower (a slow database, a starved CPU): follow it at the usual pace.
      const queueing = limited && shortRtt > this.longRtt && throughput >= this.peakThroughput / 2;
      const windows = queueing ? (this.options.overloadWindows ?? 1_000) : longWindows;
      this.longRtt += (shortRtt - this.longRtt) / windows;
    }
    // After a long overload the long-term latency has crept up: pull it back down quickly once
    // requests are fast again (Gradient2's drift recovery).
    if (this.longRtt / shortRtt > 2) {
      this.longRtt *= 0.95;
    }
    if (dropped) {
      // Requests timed out behind us: back off multiplicatively whatever the latency says.
      this.limitValue = clamp(this.limitValue * 0.9, min, max);
      return;
    }
    if (!limited) {
      // Not limited by us: no evidence that a higher limit would be safe.
      return;
    }
    const tolerance = this.options.tolerance ?? 1.5;
    const gradient = clamp((tolerance * this.longRtt) / Math.max(shortRtt, 1e-3), 0.5, 1);
    const queue = Math.sqrt(this.limitValue);
    const estimate = this.limitValue * gradient + queue;
    const smoothing = this.options.smoothing ?? 0.2;
    this.limitValue = clamp(this.limitValue * (1 - smoothing) + estimate * smoothing, min, max);
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
