import { OutboxWriter, StreamConsumer, StreamPublisher, type SqlExecutor } from '@gad/bus';
import type { Envelope } from '@gad/contracts';
import { deleteKeysWithPrefix, testStack, uniqueRedisPrefix, waitFor } from '@gad/testing';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { context, SpanKind, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { Redis } from 'ioredis';
import { CapturingLogger, testEnvelope } from './bus-test-helpers';

const prefix = uniqueRedisPrefix();
const redis = new Redis(testStack.redisUrl);
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();
let consumer: StreamConsumer | undefined;

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(provider);
});

afterAll(async () => {
  await consumer?.stop();
  await deleteKeysWithPrefix(redis, prefix);
  await redis.quit();
  await provider.shutdown();
  trace.disable();
  context.disable();
});

describe('trace context across the bus', () => {
  it('runs the handler in a CONSUMER span of the publisher trace', async () => {
    const stream = 'traced:events';
    const seen: Array<{ envelope: Envelope; traceId?: string; spanId?: string }> = [];
    consumer = new StreamConsumer({
      redis: testStack.redisUrl,
      prefix,
      group: 'tracer',
      consumer: 'c1',
      streams: [stream],
      blockMs: 50,
      logger: new CapturingLogger(),
      handler: (envelope: Envelope) => {
        const spanContext = trace.getActiveSpan()?.spanContext();
        seen.push({ envelope, traceId: spanContext?.traceId, spanId: spanContext?.spanId });
      },
    });
    await consumer.start();
    const publisher = new StreamPublisher(redis, { prefix });
    const tracer = trace.getTracer('test');

    const published = await tracer.startActiveSpan('publish request', async (span) => {
      await publisher.publish(stream, testEnvelope({ n: 1 }));
      span.end();
      return span.spanContext();
    });
    // An envelope that already carries a traceparent keeps it.
    const foreignTraceId = '0af7651916cd43dd8448eb211c80319c';
    await tracer.startActiveSpan('other', async (span) => {
      await publisher.publish(stream, {
        ...testEnvelope({ n: 2 }),
        traceparent: `00-${foreignTraceId}-b7ad6b7169203331-01`,
      });
      span.end();
    });
    // Outbox rows get the traceparent at append time (the relay has no request context).
    const captured: unknown[][] = [];
    const executor: SqlExecutor = {
      query: async (_sql, params) => {
        captured.push(params ?? []);
        return [];
      },
    };
    const outboxTraceId = await tracer.startActiveSpan('outbox', async (span) => {
      await new OutboxWriter('dispatch').append(executor, stream, testEnvelope({ n: 3 }));
      span.end();
      return span.spanContext().traceId;
    });

    await waitFor(() => seen.length === 2, { description: 'both envelopes handled' });
    expect(seen[0].envelope.traceparent).toContain(published.traceId);
    expect(seen[0].traceId).toBe(published.traceId);
    expect(seen[0].spanId).not.toBe(published.spanId);
    expect(seen[1].traceId).toBe(foreignTraceId);

    const consumerSpan = exporter
      .getFinishedSpans()
      .find((span) => span.spanContext().spanId === seen[0].spanId);
    expect(consumerSpan?.kind).toBe(SpanKind.CONSUMER);
    expect(consumerSpan?.parentSpanContext?.spanId).toBe(published.spanId);
    expect(consumerSpan?.attributes['messaging.destination.name']).toBe(stream);

    // The statement's rows as the text of one JSON array.
    const [, rows] = captured[0] as [string, string];
    const [row] = JSON.parse(rows) as Array<{ traceparent?: string }>;
    expect(row?.traceparent).toContain(outboxTraceId);
  });
});
