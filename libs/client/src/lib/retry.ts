/** Retry settings of idempotent requests (GET, or a POST carrying an `Idempotency-Key`). */
export interface RetryOptions {
  /** Retries after the first attempt (0 disables retrying). Default 2. */
  retries?: number;
  /** Smallest delay in ms. Default 100. */
  baseDelayMs?: number;
  /** Largest delay in ms (also caps a server's `Retry-After`). Default 5000. */
  maxDelayMs?: number;
}

export const DEFAULT_RETRY: Required<RetryOptions> = {
  retries: 2,
  baseDelayMs: 100,
  maxDelayMs: 5_000,
};

/**
 * "Decorrelated jitter" backoff: each delay is random between the base and three times the
 * previous one, capped. Spreads retries of many clients instead of synchronising them.
 */
export function nextDelayMs(
  previousMs: number,
  options: Required<RetryOptions>,
  random: () => number = Math.random,
): number {
  const upper = Math.max(options.baseDelayMs, previousMs * 3);
  const delay = options.baseDelayMs + random() * (upper - options.baseDelayMs);
  return Math.min(options.maxDelayMs, Math.round(delay));
}

/** `Retry-After` (seconds or an HTTP date) in ms, if present and sane. */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  if (!header) {
    return undefined;
  }
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) {
    return seconds * 1000;
  }
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
