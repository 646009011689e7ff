import {
  context,
  isSpanContextValid,
  ROOT_CONTEXT,
  trace,
  type Context,
  type SpanContext,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/**
 * W3C trace context used directly (not the global propagator), so `traceparent` is written and read
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

function activeSpanContext(): SpanContext | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && isSpanContextValid(spanContext) ? spanContext : undefined;
}

/** Trace id (32 hex chars) of the active span, or `undefined` outside a span. */
export function currentTraceId(): string | undefined {
  return activeSpanContext()?.traceId;
}

/** Span id (16 hex chars) of the active span, or `undefined` outside a span. */
export function currentSpanId(): string | undefined {
  return activeSpanContext()?.spanId;
}

/**
 * W3C `traceparent` of the span in `ctx` (default: the active one), or `undefined` when there is
 * none — the one helper for envelopes, job data and socket payloads.
 */
export function currentTraceparent(ctx: Context = context.active()): string | undefined {
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
