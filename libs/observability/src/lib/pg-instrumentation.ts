import { context, trace, type Attributes, type Histogram } from '@opentelemetry/api';
import { PgInstrumentation, type PgInstrumentationConfig } from '@opentelemetry/instrumentation-pg';

type Callback = (this: unknown, error: unknown, result: unknown) => unknown;
type QueryFn = (this: PgClientLike, ...args: unknown[]) => unknown;
type ConnectFn = (this: unknown, callback?: Callback) => unknown;

/** What the query patch reads of a `pg.Client` (the same fields the upstream patch reads). */
interface PgClientLike {
  database?: string;
  connectionParameters?: { host?: string; port?: number };
}

/** The upstream instrumentation's members this subclass builds on (private in its typings). */
interface UpstreamInternals {
  _getClientQueryPatch(): (original: QueryFn) => QueryFn;
  _getPoolConnectPatch(): (original: ConnectFn) => ConnectFn;
  _setPoolConnectEventListeners(pool: unknown): void;
  _operationDuration: Histogram;
}

/** `db.operation.name` as the upstream instrumentation derives it: the statement's first word. */
export function operationNameOf(text: string): string {
  const trimmed = text.trim();
  const space = trimmed.indexOf(' ');
  const command = (space === -1 ? trimmed : trimmed.slice(0, space)).toUpperCase();
  return command.endsWith(';') ? command.slice(0, -1) : command;
}

function textOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') {
    return arg;
  }
  if (
    arg !== null &&
    typeof arg === 'object' &&
    typeof (arg as { text?: unknown }).text === 'string'
  ) {
    return (arg as { text: string }).text;
  }
  return undefined;
}

function errorTypeOf(error: unknown): string | undefined {
  if (error !== null && typeof error === 'object' && Object.hasOwn(error, 'code')) {
    return String((error as { code: unknown }).code);
  }
  return undefined;
}

/**
 * The pg instrumentation with a cheap path for queries under a span that is not recorded (every
 * request of a service that exports no traces: `parentbased_always_off`, docs/adr/0038). There the
 * upstream patch still builds a non-recording span per `pg-pool.connect` and per query, copies and
 * filters the metric attributes and wraps the result in two more promises. This path runs the query
 * as it is, binds its callback to the active context (as upstream does), and records the same
 * `db.client.operation.duration` histogram with the same attributes (`db.system.name`,
 * `db.namespace`, `server.address`, `server.port`, `db.operation.name`, `error.type` on a failure
 * with a code), built once per client and statement kind. Pool connection metrics are unchanged.
 * Under a recording span (a sampled trace) and for the shapes this path does not handle (a
 * submittable, a config object carrying its own callback) the upstream patch runs as before;
 * without any active span both do nothing (`requireParentSpan`).
 */
export class LeanPgInstrumentation extends PgInstrumentation {
  private readonly attributesByClient = new WeakMap<object, Map<string, Attributes>>();

  constructor(config: PgInstrumentationConfig = {}) {
    super({ ...config, requireParentSpan: true });
    const upstream = this as unknown as UpstreamInternals;
    const tracedQueryPatch = upstream._getClientQueryPatch.bind(this);
    const tracedConnectPatch = upstream._getPoolConnectPatch.bind(this);
    const untracedQuery = this.untracedQuery.bind(this);
    upstream._getClientQueryPatch = () => {
      const makeTraced = tracedQueryPatch();
      return (original: QueryFn): QueryFn => {
        const traced = makeTraced(original);
        return function query(this: PgClientLike, ...args: unknown[]): unknown {
          const parent = trace.getSpan(context.active());
          if (parent === undefined || parent.isRecording()) {
            return traced.apply(this, args);
          }
          return untracedQuery(this, original, traced, args);
        };
      };
    };
    upstream._getPoolConnectPatch = () => {
      const makeTraced = tracedConnectPatch();
      return (original: ConnectFn): ConnectFn => {
        const traced = makeTraced(original);
        return function connect(this: unknown, callback?: Callback): unknown {
          const parent = trace.getSpan(context.active());
          if (parent === undefined || parent.isRecording()) {
            return traced.call(this, callback);
          }
          // The pool's connection metrics, as upstream sets them up; no `pg-pool.connect` span.
          upstream._setPoolConnectEventListeners(this);
          return original.call(
            this,
            callback ? context.bind(context.active(), callback) : callback,
          );
        };
      };
    };
  }

  private untracedQuery(
    client: PgClientLike,
    original: QueryFn,
    traced: QueryFn,
    args: unknown[],
  ): unknown {
    const last = args.length - 1;
    const callback = args[last];
    const arg0 = args[0];
    const hasCallback = typeof callback === 'function';
    if (
      last < 0 ||
      (!hasCallback &&
        arg0 !== null &&
        typeof arg0 === 'object' &&
        (typeof (arg0 as { submit?: unknown }).submit === 'function' ||
          typeof (arg0 as { callback?: unknown }).callback === 'function'))
    ) {
      return traced.apply(client, args);
    }
    const attributes = this.attributesOf(client, textOf(arg0));
    const startedAt = performance.now();
    if (hasCallback) {
      const done = callback as Callback;
      const record = (error: unknown): void => this.record(attributes, startedAt, error);
      args[last] = context.bind(
        context.active(),
        function recorded(this: unknown, error: unknown, result: unknown) {
          record(error);
          return done.call(this, error, result);
        },
      );
      return original.apply(client, args);
    }
    const result = original.apply(client, args);
    if (result instanceof Promise) {
      return result.then(
        (value: unknown) => {
          this.record(attributes, startedAt, undefined);
          return value;
        },
        (error: unknown) => {
          this.record(attributes, startedAt, error);
          throw error;
        },
      );
    }
    return result;
  }

  private record(attributes: Attributes, startedAt: number, error: unknown): void {
    const seconds = (performance.now() - startedAt) / 1000;
    const errorType = error === undefined || error === null ? undefined : errorTypeOf(error);
    (this as unknown as UpstreamInternals)._operationDuration.record(
      seconds,
      errorType === undefined ? attributes : { ...attributes, 'error.type': errorType },
    );
  }

  /** The metric attributes of a statement on `client`, built once per client and operation. */
  private attributesOf(client: PgClientLike, text: string | undefined): Attributes {
    let byOperation = this.attributesByClient.get(client);
    if (byOperation === undefined) {
      byOperation = new Map();
      this.attributesByClient.set(client, byOperation);
    }
    const operation = text === undefined ? '' : operationNameOf(text);
    let attributes = byOperation.get(operation);
    if (attributes === undefined) {
      attributes = {
        'db.system.name': 'postgresql',
        'db.namespace': client.database,
        'server.port': client.connectionParameters?.port,
        'server.address': client.connectionParameters?.host,
        ...(text === undefined ? {} : { 'db.operation.name': operation }),
      };
      // A client's statements have a handful of first words; bound the map all the same.
      if (byOperation.size < 64) {
        byOperation.set(operation, attributes);
      }
    }
    return attributes;
  }
}
