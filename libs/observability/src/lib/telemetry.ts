import { ConfigError, type EnvSource } from '@gad/config';
import { diag, metrics } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { NestInstrumentation } from '@opentelemetry/instrumentation-nestjs-core';
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';
import { SocketIoInstrumentation } from '@opentelemetry/instrumentation-socket.io';
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
  type Resource,
} from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  AlwaysOffSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  InMemorySpanExporter,
  NoopSpanProcessor,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { LeanHttpInstrumentation } from './http-instrumentation';
import { LeanPgInstrumentation } from './pg-instrumentation';
import { loadTelemetrySettings, type TelemetrySettings } from './telemetry-settings';

export interface StartTelemetryOptions {
  /** `service.name` of every span and metric, and the `service` field of every log line. */
  serviceName: string;
  /** Environment to read settings from; defaults to the process environment. */
  env?: EnvSource;
}

export interface TelemetryHandle {
  readonly settings: TelemetrySettings;
}

interface TelemetryState {
  sdk: NodeSDK;
  settings: TelemetrySettings;
  prometheus: PrometheusExporter;
  memoryExporter?: InMemorySpanExporter;
  shutdown?: Promise<void>;
}

let state: TelemetryState | undefined;

function spanProcessorFor(settings: TelemetrySettings): {
  processor: SpanProcessor;
  memoryExporter?: InMemorySpanExporter;
} {
  switch (settings.tracesExporter) {
    case 'otlp': {
      const url = settings.otlpEndpoint
        ? `${settings.otlpEndpoint.replace(/\/+$/, '')}/v1/traces`
        : undefined;
      return { processor: new BatchSpanProcessor(new OTLPTraceExporter(url ? { url } : {})) };
    }
    case 'memory': {
      const memoryExporter = new InMemorySpanExporter();
      return { processor: new SimpleSpanProcessor(memoryExporter), memoryExporter };
    }
    case 'none':
      return { processor: new NoopSpanProcessor() };
  }
}

/**
 * With nothing to export, a trace this service starts is not recorded: its spans are non-recording
 * (no attributes, events or end processing), yet they still carry a trace id, so trace ids reach
 * logs, headers and envelopes as before. A sampled parent (from a service that exports) is still
 * followed. `OTEL_TRACES_SAMPLER` overrides this; with an exporter the OTel default
 * (`parentbased_always_on`, or `OTEL_TRACES_SAMPLER`) applies.
 */
export function samplerFor(settings: TelemetrySettings): ParentBasedSampler | undefined {
  if (settings.tracesExporter !== 'none' || settings.tracesSampler) {
    return undefined;
  }
  return new ParentBasedSampler({ root: new AlwaysOffSampler() });
}

/**
 * The resource of every span and metric: the SDK's defaults, `service.name` (the app's name) and
 * `deployment.environment.name` (NODE_ENV), then what the operator sets in the standard
 * `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` (the SDK's env detector, read from the process
 * environment), which win: e.g. `OTEL_RESOURCE_ATTRIBUTES=deployment.environment.name=staging,
 * service.namespace=gad,k8s.pod.name=...`. Log lines keep the app's name in their `service` field.
 */
export function telemetryResource(
  settings: Pick<TelemetrySettings, 'serviceName' | 'nodeEnv'>,
): Resource {
  return defaultResource()
    .merge(
      resourceFromAttributes({
        'service.name': settings.serviceName,
        'deployment.environment.name': settings.nodeEnv,
      }),
    )
    .merge(detectResources({ detectors: [envDetector] }));
}

/**
 * Whether the sampler records a request only when its incoming `traceparent` is sampled: our
 * default without an exporter ({@link samplerFor}) or `OTEL_TRACES_SAMPLER=parentbased_always_off`.
 */
export function recordsOnlySampledParents(
  settings: Pick<TelemetrySettings, 'tracesExporter' | 'tracesSampler'>,
): boolean {
  return settings.tracesSampler === undefined
    ? settings.tracesExporter === 'none'
    : settings.tracesSampler === 'parentbased_always_off';
}

/**
 * What is patched. Without a trace exporter nothing this service records leaves it, so the
 * instrumentations that only make spans (Nest's handlers and guards, ioredis commands) are left
 * out: they cost about 1-2 % of api-gateway's CPU per request in a profile (docs/adr/0024) and
 * show nobody anything. HTTP (context propagation, trace ids, `http_server_*` metrics), pg
 * (`db_client_*` metrics), socket.io (trace ids of socket events) and runtime metrics stay. pg's
 * patch skips its spans for queries under a span that is not recorded and records the same
 * `db_client_operation_duration` histogram directly ({@link LeanPgInstrumentation}, docs/adr/0038).
 * Under `parentbased_always_off`, an incoming HTTP request without a sampled `traceparent` builds
 * no span attributes and records `http_server_request_duration` directly, in the incoming trace's
 * context ({@link LeanHttpInstrumentation}, docs/adr/0041).
 */
export function instrumentations(
  settings: Pick<TelemetrySettings, 'tracesExporter' | 'tracesSampler'>,
) {
  const exported = settings.tracesExporter !== 'none';
  return [
    new LeanHttpInstrumentation(
      {},
      { recordsOnlySampledParents: recordsOnlySampledParents(settings) },
    ),
    ...(exported ? [new NestInstrumentation()] : []),
    new LeanPgInstrumentation({ requireParentSpan: true }),
    // Blocking stream reads of idle consumers would otherwise make a root span every few seconds.
    ...(exported ? [new IORedisInstrumentation({ requireParentSpan: true })] : []),
    new SocketIoInstrumentation(),
    new RuntimeNodeInstrumentation(),
  ];
}

/**
 * Starts OpenTelemetry (traces, W3C propagation, Prometheus metrics). Call it first thing in
 * `main.ts`, before Nest, pg, ioredis, http or fastify are loaded. Idempotent: later calls return the
 * running instance. Invalid settings print every bad variable and exit the process with status 1.
 */
export function startTelemetry(options: StartTelemetryOptions): TelemetryHandle {
  if (state) {
    return { settings: state.settings };
  }
  let settings: TelemetrySettings;
  try {
    settings = loadTelemetrySettings(options.serviceName, options.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const { processor, memoryExporter } = spanProcessorFor(settings);
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const sdk = new NodeSDK({
    // No `serviceName` here: the SDK would apply it over OTEL_SERVICE_NAME.
    autoDetectResources: false,
    resource: telemetryResource(settings),
    textMapPropagator: new W3CTraceContextPropagator(),
    spanProcessors: [processor],
    sampler: samplerFor(settings),
    metricReaders: [prometheus],
    instrumentations: instrumentations(settings),
  });
  sdk.start();
  state = { sdk, settings, prometheus, memoryExporter };
  return { settings };
}

/** Flushes and stops telemetry (spans, metrics). Safe to call more than once or without a start. */
export function shutdownTelemetry(): Promise<void> {
  if (!state) {
    return Promise.resolve();
  }
  state.shutdown ??= state.sdk.shutdown().catch((error: unknown) => {
    diag.error('telemetry shutdown failed', error);
  });
  return state.shutdown;
}

/** Whether {@link startTelemetry} ran in this process. */
export function isTelemetryStarted(): boolean {
  return state !== undefined;
}

function memoryExporter(): InMemorySpanExporter {
  if (!state?.memoryExporter) {
    throw new Error(
      'getFinishedSpans/resetSpans need startTelemetry with OTEL_TRACES_EXPORTER=memory',
    );
  }
  return state.memoryExporter;
}

/** Spans finished so far (only with `OTEL_TRACES_EXPORTER=memory`, for tests). */
export function getFinishedSpans(): ReadableSpan[] {
  return memoryExporter().getFinishedSpans();
}

/** Forgets the finished spans (only with `OTEL_TRACES_EXPORTER=memory`, for tests). */
export function resetSpans(): void {
  memoryExporter().reset();
}

export interface RenderedMetrics {
  contentType: string;
  body: string;
}

const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const serializer = new PrometheusSerializer();

/** Every metric of the global MeterProvider in Prometheus text format, for the `/metrics` route. */
export async function renderMetrics(): Promise<RenderedMetrics> {
  if (!state) {
    return { contentType: PROMETHEUS_CONTENT_TYPE, body: '' };
  }
  const { resourceMetrics, errors } = await state.prometheus.collect();
  for (const error of errors) {
    diag.error('metric collection failed', error);
  }
  return { contentType: PROMETHEUS_CONTENT_TYPE, body: serializer.serialize(resourceMetrics) };
}

/** The global meter provider's meter (same as `metrics.getMeter` from `@opentelemetry/api`). */
export function getMeter(name: string) {
  return metrics.getMeter(name);
}
