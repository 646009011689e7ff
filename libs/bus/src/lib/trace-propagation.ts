import { currentTraceparent } from '@gad/observability';

/**
 * Adds the active span's `traceparent` (`currentTraceparent` of `@gad/observability`, the one
 * helper) to an envelope that has none (returns the same object otherwise).
 */
export function withTraceparent<T extends { traceparent?: string }>(envelope: T): T {
  if (envelope.traceparent) {
    return envelope;
  }
  const traceparent = currentTraceparent();
  return traceparent ? { ...envelope, traceparent } : envelope;
}
