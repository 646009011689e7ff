import { isSpanContextValid, trace, type SpanContext } from '@opentelemetry/api';

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

/** W3C `traceparent` of the active span (for envelopes, job data, socket payloads). */
export function currentTraceparent(): string | undefined {
  const spanContext = activeSpanContext();
  if (!spanContext) {
    return undefined;
  }
  const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, '0');
  return `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
}
