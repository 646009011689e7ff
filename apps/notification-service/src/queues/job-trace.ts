import { contextFromTraceparent } from '@gad/observability';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';

const tracer = trace.getTracer('notification-service');

/**
 * Runs a BullMQ job's work in a span whose parent is the trace that queued it (`traceparent` in the
 * job data), so one trace spans assignment → command → escalation steps and deliveries.
 */
export function inJobTrace<T>(
  name: string,
  traceparent: string | undefined,
  attributes: Record<string, string | number>,
  work: () => Promise<T>,
): Promise<T> {
  return context.with(contextFromTraceparent(traceparent), () =>
    tracer.startActiveSpan(name, { kind: SpanKind.CONSUMER, attributes }, async (span) => {
      try {
        return await work();
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        throw error;
      } finally {
        span.end();
      }
    }),
  );
}
