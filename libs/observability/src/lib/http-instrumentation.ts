import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorMonitor } from 'node:events';
import {
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  TraceFlags,
  type Attributes,
  type Histogram,
} from '@opentelemetry/api';
import { RPCType, setRPCMetadata, type RPCMetadata } from '@opentelemetry/core';
import {
  HttpInstrumentation,
  type HttpInstrumentationConfig,
} from '@opentelemetry/instrumentation-http';

type EmitFn = (this: unknown, event: string, ...args: unknown[]) => boolean;

/** The upstream instrumentation's members this subclass builds on (private in its typings). */
interface UpstreamInternals {
  _incomingRequestFunction(component: 'http' | 'https', original: EmitFn): EmitFn;
  _httpServerDurationHistogram: Histogram;
}

const KNOWN_METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
  'QUERY',
]);

/** `http.request.method` as the upstream instrumentation normalises it. */
export function normalizeMethod(method: string | undefined): string {
  if (method == null) {
    return 'GET';
  }
  const upper = method.toUpperCase();
  return KNOWN_METHODS.has(upper) ? upper : '_OTHER';
}

export interface LeanHttpOptions {
  /**
   * The sampler records a request only when its incoming `traceparent` is sampled
   * (`parentbased_always_off`): then an unsampled request takes the lean path.
   */
  recordsOnlySampledParents: boolean;
}

/**
 * The http instrumentation with a cheap path for incoming requests that will not be recorded
 * (docs/adr/0041). Under `parentbased_always_off` (every service without a trace exporter) a
 * request is recorded only when its `traceparent` is sampled; for every other request the upstream
 * patch still builds about fifteen span attributes (URL parsed, query redacted, peer and server
 * addresses), captures headers, and on close sets response attributes and a status on a span that
 * drops them. This path does what of that is seen outside the process: the incoming
 * `traceparent` is extracted and a span is started from it with the tracer (non-recording, with
 * the caller's trace id or a new one, as upstream's), the request runs in that context with the
 * request and response emitters bound to it (listeners that read the body or run on `finish` keep
 * the trace id), and `http.server.request.duration` is recorded in the same histogram with the same
 * attributes (`http.request.method`, `url.scheme`, `network.protocol.version`,
 * `http.response.status_code`, `error.type` for a 5xx or an error, `http.route` when a framework
 * set it in the RPC metadata). A sampled `traceparent`, or any other sampler, takes the upstream
 * path unchanged. Outgoing requests are unchanged.
 */
export class LeanHttpInstrumentation extends HttpInstrumentation {
  constructor(config: HttpInstrumentationConfig = {}, options: LeanHttpOptions) {
    super(config);
    if (!options.recordsOnlySampledParents) {
      return;
    }
    const upstream = this as unknown as UpstreamInternals;
    const tracedRequestFunction = upstream._incomingRequestFunction.bind(this);
    const leanRequest = this.leanRequest.bind(this);
    upstream._incomingRequestFunction = (component, original) => {
      const traced = tracedRequestFunction(component, original);
      return function incomingRequest(this: unknown, event: string, ...args: unknown[]): boolean {
        if (event !== 'request') {
          return original.apply(this, [event, ...args]);
        }
        const request = args[0] as IncomingMessage;
        const parentContext = propagation.extract(ROOT_CONTEXT, request.headers);
        const parent = trace.getSpanContext(parentContext);
        if (
          parent !== undefined &&
          isSpanContextValid(parent) &&
          (parent.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED
        ) {
          return traced.apply(this, [event, ...args]);
        }
        return leanRequest(this, component, original, parentContext, event, args);
      };
    };
  }

  private leanRequest(
    server: unknown,
    component: 'http' | 'https',
    original: EmitFn,
    parentContext: ReturnType<typeof propagation.extract>,
    event: string,
    args: unknown[],
  ): boolean {
    const request = args[0] as IncomingMessage;
    const response = args[1] as ServerResponse;
    const startedAt = performance.now();
    const method = normalizeMethod(request.method);
    // Non-recording under this sampler: it carries the trace id (the caller's or a new one).
    const span = this.tracer.startSpan(
      request.method || 'GET',
      { kind: SpanKind.SERVER },
      parentContext,
    );
    const rpcMetadata: RPCMetadata = { type: RPCType.HTTP, span };
    const requestContext = setRPCMetadata(trace.setSpan(parentContext, span), rpcMetadata);
    const attributes: Attributes = {
      'http.request.method': method,
      'url.scheme': component,
    };
    if (request.httpVersion) {
      attributes['network.protocol.version'] = request.httpVersion;
    }
    let recorded = false;
    const histogram = (this as unknown as UpstreamInternals)._httpServerDurationHistogram;
    const record = (errorType: string | undefined, statusCode: number | undefined): void => {
      if (recorded) {
        return;
      }
      recorded = true;
      if (rpcMetadata.route !== undefined) {
        attributes['http.route'] = rpcMetadata.route;
      }
      if (statusCode) {
        attributes['http.response.status_code'] = statusCode;
        if (statusCode >= 500 && statusCode < 600) {
          errorType ??= String(statusCode);
        }
      }
      if (errorType !== undefined) {
        attributes['error.type'] = errorType;
      }
      histogram.record((performance.now() - startedAt) / 1000, attributes);
    };
    return context.with(requestContext, () => {
      context.bind(requestContext, request);
      context.bind(requestContext, response);
      response.on('close', () => record(undefined, response.statusCode));
      response.on(errorMonitor, (error: Error) => record(error.name, undefined));
      try {
        return original.apply(server, [event, ...args]);
      } catch (error) {
        record((error as Error | undefined)?.name, undefined);
        throw error;
      }
    });
  }
}
