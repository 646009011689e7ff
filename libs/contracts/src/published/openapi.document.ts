import { problemSchema, PROBLEM_CONTENT_TYPE } from '../errors/problem.schema';
import type { HttpOperation } from '../operations/define-operation';
import { operations as registry } from '../operations/operations';
import { pascalCase, toJsonSchema, type JsonSchema } from './json-schema';

/** Version of the published REST contract (semver; bump the minor for additions, the major for breaks). */
export const API_CONTRACT_VERSION = '0.1.0';

/** Titles of the problem responses every document may reference. */
const problemStatuses: Record<number, string> = {
  400: 'Malformed request (bad JSON, empty body)',
  401: 'Missing, invalid or expired access token',
  403: 'The caller’s roles do not allow this operation',
  404: 'Not found (or not of the caller’s agency)',
  409: 'Conflict with the current state (or an idempotency key reused with another body)',
  412: 'The `If-Match` version is not the current one',
  413: 'Body too large',
  415: 'Unsupported content type',
  422: 'Validation failed: `errors[]` locates each problem with a JSON pointer',
  428: '`If-Match` is required',
  429: 'Rate limited: retry after `Retry-After` seconds',
  500: 'Unexpected error (logged with the trace id)',
  503: 'Overloaded or shutting down: retry after `Retry-After` seconds',
  504: 'A downstream service did not answer in time',
};

/** Statuses any operation may answer with, besides its own `errors`. */
const commonStatuses = (operation: HttpOperation): number[] => [
  ...(operation.body ? [400, 413, 415] : []),
  ...(operation.roles === 'public' ? [] : [401, 403]),
  ...(operation.ifMatch ? [412, 428] : []),
  429,
  500,
  503,
];

export interface OpenApiOptions {
  /** Servers listed in the document (defaults to the local `npm start` gateway). */
  servers?: { url: string; description?: string }[];
}

/**
 * The OpenAPI 3.1 document of the api-gateway, generated from the operation registry of
 * `@gad/contracts` (every operation in it, in registry order). Deterministic: the committed
 * `apps/api-gateway/openapi.json` is this object serialised by `tools/scripts/generate-contracts.ts`.
 */
export function buildOpenApiDocument(
  operations: Record<string, HttpOperation> = registry,
  options: OpenApiOptions = {},
): JsonSchema {
  const schemas: Record<string, JsonSchema> = { Problem: toJsonSchema(problemSchema, 'output') };
  const usedStatuses = new Set<number>();
  const usedParameters = new Set<string>();
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const tags: string[] = [];

  for (const [key, operation] of Object.entries(operations)) {
    const name = pascalCase(operation.operationId || key);
    if (!tags.includes(operation.tag)) {
      tags.push(operation.tag);
    }
    const parameters: JsonSchema[] = [
      ...objectParameters(operation.params, 'path'),
      ...objectParameters(operation.query, 'query'),
    ];
    if (operation.idempotent) {
      usedParameters.add('IdempotencyKey');
      parameters.push({ $ref: '#/components/parameters/IdempotencyKey' });
    }
    if (operation.ifMatch) {
      usedParameters.add('IfMatch');
      parameters.push({ $ref: '#/components/parameters/IfMatch' });
    }

    const responses: Record<string, JsonSchema> = {};
    const success: JsonSchema = { description: operation.success.description };
    if (operation.success.schema) {
      schemas[`${name}Response`] = toJsonSchema(operation.success.schema, 'output');
      success['content'] = {
        'application/json': { schema: { $ref: `#/components/schemas/${name}Response` } },
      };
    }
    responses[String(operation.success.status)] = success;
    const statuses = [...new Set([...commonStatuses(operation), ...(operation.errors ?? [])])];
    for (const status of statuses.sort((a, b) => a - b)) {
      usedStatuses.add(status);
      responses[String(status)] = { $ref: `#/components/responses/Problem${status}` };
    }

    const entry: JsonSchema = {
      operationId: operation.operationId || key,
      summary: operation.summary,
      description: describeAccess(operation),
      tags: [operation.tag],
      security: operation.roles === 'public' ? [] : [{ bearerAuth: [] }],
      'x-roles': operation.roles === 'public' ? [] : [...operation.roles],
      ...(operation.idempotent ? { 'x-idempotent': true } : {}),
      ...(parameters.length > 0 ? { parameters } : {}),
    };
    if (operation.body) {
      schemas[`${name}Request`] = toJsonSchema(operation.body, 'input');
      entry['requestBody'] = {
        required: true,
        content: {
          'application/json': { schema: { $ref: `#/components/schemas/${name}Request` } },
        },
      };
    }
    entry['responses'] = responses;
    paths[operation.path] ??= {};
    paths[operation.path][operation.method.toLowerCase()] = entry;
  }

  const responses: Record<string, JsonSchema> = {};
  for (const status of [...usedStatuses].sort((a, b) => a - b)) {
    responses[`Problem${status}`] = {
      description: problemStatuses[status] ?? `Error ${status}`,
      ...(status === 429 || status === 503 ? { headers: retryAfterHeader } : {}),
      content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
    };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'GAD Dispatch API',
      version: API_CONTRACT_VERSION,
      summary: 'REST edge of GAD Dispatch (api-gateway), generated from @gad/contracts',
      description:
        'Real-time dispatch for government agencies. Every operation is declared in the operation ' +
        'registry of `@gad/contracts`; the typed client `@gad/client` is generated from the same ' +
        'registry. Errors are RFC 9457 `application/problem+json` with a stable `code` and the ' +
        '`traceId`; every response carries `x-trace-id`. Realtime (socket.io `/dispatch`, `/field`) ' +
        'and stream events are described in the AsyncAPI document served at `/docs/asyncapi`.',
      license: { name: 'UNLICENSED', identifier: 'LicenseRef-UNLICENSED' },
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    servers: options.servers ?? [
      { url: 'http://127.0.0.1:3000', description: 'Local api-gateway (`npm start`)' },
    ],
    tags: tags.map((tag) => ({
      name: tag,
      description: tagDescriptions[tag] ?? `Operations on ${tag}`,
    })),
    paths,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'Short-lived ES256 access token (`POST /v1/auth/dev-login` in development)',
        },
      },
      parameters: pick(headerParameters, usedParameters),
      responses,
      schemas,
    },
  };
}

const tagDescriptions: Record<string, string> = {
  auth: 'Tokens and the keys that verify them',
  incidents: 'Incidents (tareas) of the caller’s agency',
  units: 'Field units (efectivos): status, availability, nearest',
  positions: 'Position fixes from devices and trackers',
  assignments: 'Units dispatched to incidents and the commands they acknowledge',
  audit: 'The agency’s hash-chained audit trail',
};

function pick<T>(values: Record<string, T>, keys: Set<string>): Record<string, T> {
  return Object.fromEntries(Object.entries(values).filter(([key]) => keys.has(key)));
}

const headerParameters: Record<string, JsonSchema> = {
  IdempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description:
      'Unique key of a creating request (a UUID). A retry with the same key and body answers ' +
      'the first result instead of creating twice; the same key with another body is 409.',
    schema: { type: 'string', minLength: 1, maxLength: 200 },
  },
  IfMatch: {
    name: 'If-Match',
    in: 'header',
    required: true,
    description: 'The `ETag` (version) of the resource the change is based on.',
    schema: { type: 'string', minLength: 1 },
  },
};

const retryAfterHeader = {
  'Retry-After': {
    description: 'Seconds to wait before retrying',
    schema: { type: 'integer', minimum: 0 },
  },
};

function describeAccess(operation: HttpOperation): string {
  const who =
    operation.roles === 'public'
      ? 'Public (no token).'
      : `Roles: ${operation.roles.map((role) => `\`${role}\``).join(', ')}.`;
  const extras = [
    operation.idempotent ? 'Honours `Idempotency-Key`.' : '',
    operation.ifMatch ? 'Needs `If-Match`.' : '',
  ].filter((text) => text.length > 0);
  return [who, ...extras].join(' ');
}

/** The properties of an object schema (params or query) as OpenAPI parameters. */
function objectParameters(
  schema: HttpOperation['params'],
  location: 'path' | 'query',
): JsonSchema[] {
  if (!schema) {
    return [];
  }
  const json = toJsonSchema(schema, 'input');
  const properties = (json['properties'] ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json['required'] ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: location,
      required: location === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
      ...(location === 'query' && rest['type'] === 'array'
        ? { style: 'form', explode: false }
        : {}),
    };
  });
}
