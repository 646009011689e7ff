import type { z } from 'zod';
import type { TokenRole } from '../http/auth.schema';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * One REST operation of the api-gateway, declared once: the controller route (path, method, roles,
 * status), the request validation, the OpenAPI document and the typed client all come from it.
 * `path` uses OpenAPI templating (`/v1/incidents/{id}`).
 */
export interface HttpOperation<
  TParams extends z.ZodType | undefined = z.ZodType | undefined,
  TQuery extends z.ZodType | undefined = z.ZodType | undefined,
  TBody extends z.ZodType | undefined = z.ZodType | undefined,
  TResponse extends z.ZodType | undefined = z.ZodType | undefined,
> {
  operationId: string;
  method: HttpMethod;
  path: string;
  summary: string;
  tag: string;
  /** Roles allowed (any of them), or `public` for unauthenticated routes. */
  roles: readonly TokenRole[] | 'public';
  params?: TParams;
  query?: TQuery;
  body?: TBody;
  /** Success status and body schema (`undefined` for an empty body). */
  success: { status: number; schema: TResponse; description: string };
  /** Error statuses this operation may answer with (problem+json), besides 401/403/429/503/500. */
  errors?: readonly number[];
  /** Creating POST that honours `Idempotency-Key`. */
  idempotent?: boolean;
  /** Needs `If-Match` (optimistic concurrency). */
  ifMatch?: boolean;
}

/**
 * Where a request schema parses an object that is not strict, as paths (`body.location`,
 * `body.positions[].position`): through unions, pipes, `.refine`, `.default`, `.optional`, and
 * inside objects through arrays, tuples, records and lazy schemas. At the top (`top`), anything
 * but an object is reported too: a request part is an object.
 */
function looseObjectPaths(
  schema: z.core.$ZodType,
  path: string,
  top: boolean,
  seen: Set<unknown>,
): string[] {
  const def = schema._zod.def;
  const at = (next: unknown, where = path, atTop = top) =>
    looseObjectPaths(next as z.core.$ZodType, where, atTop, seen);
  switch (def.type) {
    case 'object': {
      if (seen.has(schema)) return [];
      seen.add(schema);
      const object = def as z.core.$ZodObjectDef;
      const own = object.catchall?._zod.def.type === 'never' ? [] : [path];
      return [
        ...own,
        ...Object.entries(object.shape).flatMap(([key, field]) =>
          at(field, `${path}.${key}`, false),
        ),
      ];
    }
    case 'union':
      return (def as z.core.$ZodUnionDef).options.flatMap((option) => at(option));
    case 'pipe':
      return at((def as z.core.$ZodPipeDef).in);
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return at((def as z.core.$ZodOptionalDef).innerType);
    case 'array':
      return top ? [path] : at((def as z.core.$ZodArrayDef).element, `${path}[]`);
    case 'tuple': {
      const tuple = def as z.core.$ZodTupleDef;
      if (top) return [path];
      return [
        ...tuple.items.flatMap((item, index) => at(item, `${path}[${index}]`)),
        ...(tuple.rest ? at(tuple.rest, `${path}[]`) : []),
      ];
    }
    case 'record':
      return top ? [path] : at((def as z.core.$ZodRecordDef).valueType, `${path}{}`);
    case 'lazy':
      if (seen.has(schema)) return [];
      seen.add(schema);
      return at((def as z.core.$ZodLazyDef).getter());
    default:
      return top ? [path] : [];
  }
}

/**
 * Every request part is a strict object (`z.strictObject`), and so is every object nested in it: an
 * unknown key anywhere in the path, query or body is refused at the edge with 422 naming it, never
 * stripped or forwarded to a service. Checked when the registry is built, so a loose schema fails
 * every import of `@gad/contracts` at once.
 */
function assertStrictRequest(operation: HttpOperation): void {
  for (const part of ['params', 'query', 'body'] as const) {
    const schema = operation[part];
    if (!schema) continue;
    const loose = looseObjectPaths(schema, part, true, new Set());
    if (loose.length > 0) {
      throw new Error(
        `operation ${operation.operationId}: ${loose.join(', ')} must be a z.strictObject ` +
          '(unknown keys are refused with 422, like every other operation)',
      );
    }
  }
}

/**
 * Keeps the literal types of an operation for the client and the controllers; refuses an operation
 * whose params, query or body is not a strict object.
 */
export function defineOperation<
  TParams extends z.ZodType | undefined = undefined,
  TQuery extends z.ZodType | undefined = undefined,
  TBody extends z.ZodType | undefined = undefined,
  TResponse extends z.ZodType | undefined = undefined,
>(
  operation: HttpOperation<TParams, TQuery, TBody, TResponse>,
): HttpOperation<TParams, TQuery, TBody, TResponse> {
  assertStrictRequest(operation);
  return operation;
}

type Infer<T> = T extends z.ZodType ? z.input<T> : undefined;
type Output<T> = T extends z.ZodType ? z.output<T> : undefined;

/** What a caller passes for an operation (inputs before defaults and coercion). */
export type OperationInput<O> =
  O extends HttpOperation<infer P, infer Q, infer B, z.ZodType | undefined>
    ? (P extends z.ZodType ? { params: Infer<P> } : { params?: undefined }) &
        (Q extends z.ZodType ? { query?: Infer<Q> } : { query?: undefined }) &
        (B extends z.ZodType ? { body: Infer<B> } : { body?: undefined })
    : never;

/** What an operation answers on success. */
export type OperationResult<O> =
  O extends HttpOperation<
    z.ZodType | undefined,
    z.ZodType | undefined,
    z.ZodType | undefined,
    infer R
  >
    ? Output<R>
    : never;

/** `/v1/incidents/{id}` → `/v1/incidents/:id` (Nest/Fastify route syntax). */
export function toRoutePath(path: string): string {
  return path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
}
