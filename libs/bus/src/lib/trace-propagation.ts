import {
  context,
  ROOT_CONTEXT,
  trace,
  type Context,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/**
 * W3C trace context used directly (not the global propagator), so envelopes carry `traceparent`
 * whether or not an SDK registered one.
 */
const propagator = new W3CTraceContextPropagator();

type Carrier = Record<string, string>;

const setter: TextMapSetter<Carrier> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

const getter: TextMapGetter<Carrier> = {
  get: (carrier, key) => carrier[key],
  keys: (carrier) => Object.keys(carrier),
};

/** `traceparent` of the active span, or undefined when there is none. */
export function activeTraceparent(ctx: Context = context.active()): string | undefined {
  if (!trace.getSpanContext(ctx)) {
    return undefined;
  }
  const carrier: Carrier = {};
  propagator.inject(ctx, carrier, setter);
  return carrier['traceparent'];
}

/** A context whose remote parent is `traceparent` (ROOT_CONTEXT when absent or invalid). */
export function contextFromTraceparent(traceparent: string | undefined): Context {
  if (!traceparent) {
    return ROOT_CONTEXT;
  }
  return propagator.extract(ROOT_CONTEXT, { traceparent }, getter);
}

/** Adds the active traceparent to an envelope that has none (returns the same object otherwise). */
export function withTraceparent<T extends { traceparent?: string }>(envelope: T): T {
  if (envelope.traceparent) {
    return envelope;
  }
  const traceparent = activeTraceparent();
  return traceparent ? { ...envelope, traceparent } : envelope;
}
