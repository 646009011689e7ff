import {
  auditQueryResponseSchema,
  auditVerifyResponseSchema,
  incidentSchema,
  positionsIngestResultSchema,
  nearestUnitsResponseSchema,
  tokenResponseSchema,
  uuidv7,
  type AuditQueryParams,
  type AuditQueryResponse,
  type AuditVerifyParams,
  type AuditVerifyResponse,
  type CreateIncidentRequest,
  type PositionsBatchRequest,
  type PositionsIngestResult,
  type DevLoginRequest,
  type Incident,
  type NearestUnitsResponse,
  type TokenResponse,
} from '@gad/contracts';
import type { z } from 'zod';
import { problemFromResponse } from './problem-error';

export interface GadClientOptions {
  /** Base URL of the api-gateway, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** Access token; set later with `setAccessToken` after a login. */
  accessToken?: string;
  /** `fetch` implementation (defaults to the global one: browsers, Node >= 18). */
  fetch?: typeof fetch;
  /** Per-request timeout in milliseconds. */
  timeoutMs?: number;
}

export interface ResponseMeta {
  /** Trace id of the request as the server recorded it (`x-trace-id`). */
  traceId?: string;
  status: number;
}

export interface WithMeta<T> {
  body: T;
  meta: ResponseMeta;
}

export interface NearestUnitsParams {
  lon: number;
  lat: number;
  limit?: number;
  maxDistanceM?: number;
  capabilities?: string[];
  maxAgeS?: number;
}

/** Typed REST client for the api-gateway (`/v1`). Browser-safe. */
export class GadRestClient {
  private accessToken: string | undefined;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: GadClientOptions) {
    this.accessToken = options.accessToken;
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  setAccessToken(token: string | undefined): void {
    this.accessToken = token;
  }

  getAccessToken(): string | undefined {
    return this.accessToken;
  }

  readonly auth = {
    /** Development login (only when the gateway enables it): stores the access token it returns. */
    devLogin: async (request: DevLoginRequest): Promise<TokenResponse> => {
      const { body } = await this.send('POST', '/v1/auth/dev-login', tokenResponseSchema, request);
      this.accessToken = body.accessToken;
      return body;
    },
  };

  readonly incidents = {
    create: (
      request: CreateIncidentRequest,
      options: { idempotencyKey?: string } = {},
    ): Promise<WithMeta<Incident>> =>
      this.send('POST', '/v1/incidents', incidentSchema, request, {
        'idempotency-key': options.idempotencyKey ?? uuidv7(),
      }),
  };

  readonly units = {
    nearest: (params: NearestUnitsParams): Promise<WithMeta<NearestUnitsResponse>> =>
      this.send('GET', `/v1/units/nearest${queryString(params)}`, nearestUnitsResponseSchema),
  };

  readonly positions = {
    /** A batch of fixes (trackers without a socket); each fix is accepted, late, duplicate or rejected. */
    report: (batch: PositionsBatchRequest): Promise<WithMeta<PositionsIngestResult>> =>
      this.send('POST', '/v1/positions', positionsIngestResultSchema, batch),
  };

  readonly audit = {
    list: (params: Partial<AuditQueryParams> = {}): Promise<WithMeta<AuditQueryResponse>> =>
      this.send('GET', `/v1/audit${queryString(params)}`, auditQueryResponseSchema),
    verify: (params: AuditVerifyParams = {}): Promise<WithMeta<AuditVerifyResponse>> =>
      this.send('GET', `/v1/audit/verify${queryString(params)}`, auditVerifyResponseSchema),
  };

  private async send<S extends z.ZodType>(
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    path: string,
    schema: S,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<WithMeta<z.infer<S>>> {
    const headers: Record<string, string> = { accept: 'application/json', ...extraHeaders };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
    }
    if (this.accessToken) {
      headers['authorization'] = `Bearer ${this.accessToken}`;
    }
    const response = await this.fetchImpl(new URL(path, this.options.baseUrl).toString(), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
    });
    if (!response.ok) {
      throw await problemFromResponse(response);
    }
    const json: unknown = await response.json();
    return {
      body: schema.parse(json),
      meta: { status: response.status, traceId: response.headers.get('x-trace-id') ?? undefined },
    };
  }
}

function queryString(params: object): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined) {
      query.set(key, Array.isArray(value) ? value.join(',') : String(value));
    }
  }
  const text = query.toString();
  return text ? `?${text}` : '';
}

export function createGadClient(options: GadClientOptions): GadRestClient {
  return new GadRestClient(options);
}
