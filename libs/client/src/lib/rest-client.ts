import {
  operations,
  uuidv7,
  type AllCall,
  type AuditQueryParams,
  type AuditQueryResponse,
  type AuditVerifyParams,
  type AuditVerifyResponse,
  type CreatedIncident,
  type CreateIncidentRequest,
  type DevLoginRequest,
  type HttpOperation,
  type NearestUnitsResponse,
  type OperationId,
  type OperationInput,
  type OperationResult,
  type Operations,
  type PositionsBatchRequest,
  type PositionsIngestResult,
  type TokenResponse,
  type LoginRequest,
  type LoginResponse,
  type SessionList,
  type SessionTokens,
} from '@gad/contracts';
import {
  ClientErrorCode,
  clientProblem,
  GadProblemError,
  problemFromResponse,
} from './problem-error';
import { DEFAULT_RETRY, nextDelayMs, retryAfterMs, sleep, type RetryOptions } from './retry';
import { CLIENT_VERSION } from './version';

/** Tokens the client holds (from a login, a refresh, or given by the application). */
export interface ClientTokens {
  accessToken: string;
  /** Seconds the access token lives (from the token response); enables refreshing it early. */
  expiresIn?: number;
  /** Rotating refresh token of the session (`POST /v1/auth/refresh`), when the login gave one. */
  refreshToken?: string;
}

export interface GadClientOptions {
  /** Base URL of the api-gateway, e.g. `http://127.0.0.1:3000` (or `''`/`/` same-origin in a browser). */
  baseUrl: string;
  /** Access token; or log in through the client (`auth.devLogin`, `ops.login`), which keeps it. */
  accessToken?: string;
  /** Refresh token of the session, if the application stored one. */
  refreshToken?: string;
  /** `fetch` implementation (defaults to the global one: browsers, Node >= 18). */
  fetch?: typeof fetch;
  /** Per-attempt timeout in milliseconds. Default 10 000. */
  timeoutMs?: number;
  /** Retries of idempotent requests (GET, or POST with an `Idempotency-Key`). */
  retry?: RetryOptions;
  /**
   * Gets new tokens when the access token expired (a 401, or less than `refreshLeewayS` left).
   * Default: `POST /v1/auth/refresh` with the refresh token, when the operation registry has that
   * route and a refresh token is held. A service account can re-login here instead. Return
   * `undefined` when no tokens can be had (the 401 is then surfaced).
   */
  refresh?: (client: GadRestClient) => Promise<ClientTokens | undefined>;
  /** Refresh this many seconds before the access token expires. Default 30. */
  refreshLeewayS?: number;
  /** Called whenever the tokens change (persist them), and with `undefined` when they are dropped. */
  onTokens?: (tokens: ClientTokens | undefined) => void;
  /** Extra headers on every request (e.g. `accept-language`). */
  headers?: Record<string, string>;
}

export interface ResponseMeta {
  /** Trace id of the request as the server recorded it (`x-trace-id`). */
  traceId?: string;
  status: number;
  /** `ETag` (resource version), to send back as `If-Match` on a change. */
  etag?: string;
  /** Attempts made (1 when the first one answered). */
  attempts: number;
}

export interface WithMeta<T> {
  body: T;
  meta: ResponseMeta;
}

/** Per-call options of {@link GadRestClient.call} and `client.ops.*`. */
export interface CallOptions {
  /**
   * `Idempotency-Key` of a creating call. Operations that honour it get a fresh UUIDv7 when none
   * is given; retries of the call reuse the same key, so the server creates at most once.
   */
  idempotencyKey?: string;
  /** `If-Match`: the `ETag` the change is based on (operations that need it). */
  ifMatch?: string;
  signal?: AbortSignal;
  /** Overrides the client's retry settings for this call. */
  retry?: RetryOptions;
  headers?: Record<string, string>;
}

/** The input of an operation: `{ params, query, body }` as its schemas declare them. */
export type CallInput<K extends OperationId> = OperationInput<Operations[K]>;
export type CallResult<K extends OperationId> = OperationResult<Operations[K]>;

type OperationMethod<K extends OperationId> =
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  {} extends CallInput<K>
    ? (input?: CallInput<K>, options?: CallOptions) => Promise<WithMeta<CallResult<K>>>
    : (input: CallInput<K>, options?: CallOptions) => Promise<WithMeta<CallResult<K>>>;

/** One typed method per operation of the registry: `client.ops.createIncident({ body })`. */
export type OperationsClient = { [K in OperationId]: OperationMethod<K> };

export interface NearestUnitsParams {
  lon: number;
  lat: number;
  limit?: number;
  maxDistanceM?: number;
  capabilities?: string[];
  maxAgeS?: number;
}

const REFRESH_PATH = '/v1/auth/refresh';

/**
 * Typed REST client for the api-gateway, generated from the operation registry of
 * `@gad/contracts`: `call(operationId, input)` and `ops.<operationId>(input)` for every operation,
 * plus a few friendly helpers. Errors are {@link GadProblemError}s; access tokens are refreshed
 * automatically; creating calls carry an `Idempotency-Key`; only idempotent requests are retried
 * (jittered backoff, `Retry-After` honoured). Browser-safe (fetch, AbortSignal, Web Crypto).
 */
export class GadRestClient {
  static readonly version = CLIENT_VERSION;

  private tokens: ClientTokens | undefined;
  private accessExpiresAt: number | undefined;
  private refreshing: Promise<boolean> | undefined;
  private readonly fetchImpl: typeof fetch;
  private readonly retry: Required<RetryOptions>;

  /** Every operation of the registry as a typed method. */
  readonly ops: OperationsClient;

  constructor(private readonly options: GadClientOptions) {
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    if (options.accessToken) {
      this.tokens = { accessToken: options.accessToken, refreshToken: options.refreshToken };
    }
    this.ops = Object.fromEntries(
      (Object.keys(operations) as OperationId[]).map((id) => [
        id,
        (input?: object, callOptions?: CallOptions) =>
          this.call(id, input as CallInput<typeof id>, callOptions),
      ]),
    ) as unknown as OperationsClient;
  }

  setAccessToken(token: string | undefined): void {
    this.setTokens(token ? { accessToken: token } : undefined);
  }

  getAccessToken(): string | undefined {
    return this.tokens?.accessToken;
  }

  /**
   * An access token that is valid now, for a socket handshake (`connectField({ token: (request)
   * => api.freshAccessToken(request) })`): the held one, refreshed first when it expires within
   * `refreshLeewayS`, has expired, or `renew` is set (the server refused it). A failed refresh
   * throws its error (a 429 or a network error: try again later); when no token can be had at all
   * (the session ended: refresh refused with 401/403, or nothing to refresh with) it throws a 401
   * `session_ended`. Concurrent callers share one refresh.
   */
  async freshAccessToken(options: { renew?: boolean } = {}): Promise<string> {
    const held = this.tokens?.accessToken;
    const needed = options.renew === true || held === undefined || this.expired();
    if (needed || this.expiresSoon()) {
      try {
        const refreshed = await this.refreshTokens();
        if (!refreshed && needed) {
          throw sessionEnded();
        }
      } catch (error) {
        if (needed) {
          throw error;
        }
        // Early refresh failed: the held token is still valid for a while.
      }
    }
    const token = this.tokens?.accessToken;
    if (!token) {
      throw sessionEnded();
    }
    return token;
  }

  getTokens(): ClientTokens | undefined {
    return this.tokens ? { ...this.tokens } : undefined;
  }

  /** Sets (or with `undefined` drops) the tokens; keeps the refresh token unless a new one is given. */
  setTokens(tokens: ClientTokens | undefined): void {
    this.tokens = tokens
      ? { ...tokens, refreshToken: tokens.refreshToken ?? this.tokens?.refreshToken }
      : undefined;
    this.accessExpiresAt =
      tokens?.expiresIn !== undefined ? Date.now() + tokens.expiresIn * 1000 : undefined;
    this.options.onTokens?.(this.getTokens());
  }

  /**
   * Calls one operation of the registry by its id. Path parameters fill the `{templates}`, the
   * query is serialised (arrays comma-joined), the body sent as JSON; the answer is validated with
   * the operation's response schema.
   */
  async call<K extends OperationId>(
    operationId: K,
    input?: CallInput<K>,
    options: CallOptions = {},
  ): Promise<WithMeta<CallResult<K>>> {
    const operation = operations[operationId] as HttpOperation;
    if (!operation) {
      throw new TypeError(`unknown operation ${String(operationId)}`);
    }
    const result = await this.request(operation, (input ?? {}) as RequestParts, options);
    this.noteTokens(operation, result.body);
    return result as WithMeta<CallResult<K>>;
  }

  // -------------------------------------------------------------------------------------------
  // Friendly helpers (stable names used by services and tests)

  readonly auth = {
    /** Development login (only when the gateway enables it): keeps the access token it returns. */
    devLogin: async (request: DevLoginRequest): Promise<TokenResponse> =>
      (await this.call('devLogin', { body: request })).body,
    /** Refreshes the access token now (the client also does this by itself when needed). */
    refresh: (): Promise<boolean> => this.refreshTokens(),
    /**
     * Password login: keeps the session tokens, or returns the MFA challenge (`mfaRequired`) of a
     * user with TOTP; then {@link verifyMfa} with a code.
     */
    login: async (request: LoginRequest): Promise<LoginResponse> =>
      (await this.call('login', { body: request })).body,
    /** Second login step: the challenge and a TOTP or recovery code; keeps the session tokens. */
    verifyMfa: async (challengeToken: string, code: string): Promise<SessionTokens> =>
      (await this.call('verifyMfa', { body: { challengeToken, code } })).body,
    /** The caller's live sessions. */
    sessions: async (): Promise<SessionList> => (await this.call('listMySessions')).body,
    /** Ends one of the caller's sessions. */
    endSession: async (sessionId: string): Promise<void> => {
      await this.call('endMySession', { params: { id: sessionId } });
    },
    /** Admin: ends every session of a user of the agency. */
    endUserSessions: async (userId: string): Promise<void> => {
      await this.call('endUserSessions', { params: { id: userId } });
    },
  };

  readonly incidents = {
    /** With `proposePlan`, the answer carries the type's plan proposal (`plan`, null without one). */
    create: (
      request: CreateIncidentRequest,
      options: { idempotencyKey?: string; proposePlan?: boolean } = {},
    ): Promise<WithMeta<CreatedIncident>> =>
      this.call(
        'createIncident',
        { body: request, ...(options.proposePlan ? { query: { propose: 'plan' as const } } : {}) },
        { ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}) },
      ) as Promise<WithMeta<CreatedIncident>>,
  };

  /**
   * All-calls: a message to every on-duty unit of the agency; the report says how far each unit's
   * devices acknowledged it (consoles also see each stage live as `command.acknowledged` with
   * `allCallId`).
   */
  readonly allCalls = {
    create: (
      request: CallInput<'createAllCall'>['body'],
      options: { idempotencyKey?: string } = {},
    ): Promise<WithMeta<AllCall>> =>
      this.call('createAllCall', { body: request }, options) as Promise<WithMeta<AllCall>>,
    get: (id: string): Promise<WithMeta<AllCall>> =>
      this.call('getAllCall', { params: { id } }) as Promise<WithMeta<AllCall>>,
  };

  /** Premise and hazard information (sent with the dispatch command to the units going there). */
  readonly hazards = {
    create: (
      request: CallInput<'createHazard'>['body'],
      options: { idempotencyKey?: string } = {},
    ): Promise<WithMeta<CallResult<'createHazard'>>> =>
      this.call('createHazard', { body: request }, options),
    list: (
      query: CallInput<'listHazards'>['query'] = {},
    ): Promise<WithMeta<CallResult<'listHazards'>>> => this.call('listHazards', { query }),
    get: (id: string): Promise<WithMeta<CallResult<'getHazard'>>> =>
      this.call('getHazard', { params: { id } }),
    update: (
      id: string,
      change: CallInput<'updateHazard'>['body'],
    ): Promise<WithMeta<CallResult<'updateHazard'>>> =>
      this.call('updateHazard', { params: { id }, body: change }),
    delete: (id: string): Promise<WithMeta<CallResult<'deleteHazard'>>> =>
      this.call('deleteHazard', { params: { id } }),
    /** The hazards at an incident's location, most severe first. */
    ofIncident: (incidentId: string): Promise<WithMeta<CallResult<'getIncidentHazards'>>> =>
      this.call('getIncidentHazards', { params: { id: incidentId } }),
  };

  /** Response-time figures and their CSV export. */
  readonly reports = {
    /** An incident's milestones and intervals. */
    incidentResponseTimes: (
      incidentId: string,
    ): Promise<WithMeta<CallResult<'getIncidentResponseTimes'>>> =>
      this.call('getIncidentResponseTimes', { params: { id: incidentId } }),
    responseFigures: (
      query: NonNullable<CallInput<'getResponseFigures'>['query']>,
    ): Promise<WithMeta<CallResult<'getResponseFigures'>>> =>
      this.call('getResponseFigures', { query }),
    /** The CSV export as an open response: read `body` as a stream, or `text()` for a small range. */
    exportResponseTimes: (
      query: NonNullable<CallInput<'exportResponseTimes'>['query']>,
      options: { signal?: AbortSignal } = {},
    ): Promise<Response> => this.stream('exportResponseTimes', { query }, options),
  };

  /** The incident flight recorder. */
  readonly replay = {
    /** The incident, its units' statuses and positions as they were at `at`. */
    at: (incidentId: string, at: string): Promise<WithMeta<CallResult<'getIncidentReplay'>>> =>
      this.call('getIncidentReplay', { params: { id: incidentId }, query: { at } }),
    /** One frame every `stepS` of `[from, to]`, each validated, as the server streams them. */
    frames: (
      incidentId: string,
      query: NonNullable<CallInput<'streamIncidentReplay'>['query']>,
      options: { signal?: AbortSignal } = {},
    ): AsyncGenerator<CallResult<'getIncidentReplay'>> =>
      this.ndjson(
        this.stream('streamIncidentReplay', { params: { id: incidentId }, query }, options),
        (line) => operations.getIncidentReplay.success.schema.parse(line),
      ),
  };

  /**
   * Calls an operation that answers a stream (CSV, NDJSON) and returns the open `Response` with
   * its body unread: authentication, refresh, retries and problem errors as {@link call}; no
   * timeout on the body (pass a `signal` to stop).
   */
  async stream<K extends OperationId>(
    operationId: K,
    input?: CallInput<K>,
    options: CallOptions = {},
  ): Promise<Response> {
    const operation = operations[operationId] as HttpOperation;
    if (!operation) {
      throw new TypeError(`unknown operation ${String(operationId)}`);
    }
    const result = await this.request(operation, (input ?? {}) as RequestParts, options, true);
    return result.body as Response;
  }

  private async *ndjson<T>(
    response: Promise<Response>,
    parse: (value: unknown) => T,
  ): AsyncGenerator<T> {
    const body = (await response).body;
    if (!body) {
      return;
    }
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        buffered += done ? decoder.decode() : decoder.decode(value, { stream: true });
        let newline = buffered.indexOf('\n');
        while (newline >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line.length > 0) {
            yield parse(JSON.parse(line));
          }
          newline = buffered.indexOf('\n');
        }
        if (done) {
          break;
        }
      }
      if (buffered.trim().length > 0) {
        yield parse(JSON.parse(buffered));
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }

  readonly units = {
    nearest: (params: NearestUnitsParams): Promise<WithMeta<NearestUnitsResponse>> =>
      this.call('nearestUnits', { query: params }) as Promise<WithMeta<NearestUnitsResponse>>,
  };

  readonly positions = {
    /** A batch of fixes (trackers without a socket); each fix is accepted, late, duplicate or rejected. */
    report: (batch: PositionsBatchRequest): Promise<WithMeta<PositionsIngestResult>> =>
      this.call('reportPositions', { body: batch }) as Promise<WithMeta<PositionsIngestResult>>,
  };

  readonly audit = {
    list: (params: Partial<AuditQueryParams> = {}): Promise<WithMeta<AuditQueryResponse>> =>
      this.call('listAuditEntries', { query: params }) as Promise<WithMeta<AuditQueryResponse>>,
    verify: (params: AuditVerifyParams = {}): Promise<WithMeta<AuditVerifyResponse>> =>
      this.call('verifyAuditChain', { query: params }) as Promise<WithMeta<AuditVerifyResponse>>,
  };

  // -------------------------------------------------------------------------------------------

  private async request(
    operation: HttpOperation,
    input: RequestParts,
    options: CallOptions,
    raw = false,
  ): Promise<WithMeta<unknown>> {
    const url = new URL(
      buildPath(operation.path, input.params) + queryString(input.query),
      this.options.baseUrl || (globalThis as { location?: { origin: string } }).location?.origin,
    ).toString();
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...this.options.headers,
      ...options.headers,
    };
    if (input.body !== undefined) {
      headers['content-type'] = 'application/json';
    }
    const idempotencyKey = operation.idempotent
      ? (options.idempotencyKey ?? uuidv7())
      : options.idempotencyKey;
    if (idempotencyKey) {
      headers['idempotency-key'] = idempotencyKey;
    }
    if (options.ifMatch) {
      headers['if-match'] = options.ifMatch;
    }
    const authenticated = operation.roles !== 'public';
    const retryable = operation.method === 'GET' || idempotencyKey !== undefined;
    const retry = { ...this.retry, ...options.retry };
    const body = input.body === undefined ? undefined : JSON.stringify(input.body);

    if (authenticated && operation.path !== REFRESH_PATH && this.expiresSoon()) {
      // Early refresh: if it fails, the current token may still do (a 401 refreshes again).
      await this.refreshTokens().catch(() => false);
    }
    let refreshed = false;
    let delay = 0;
    for (let attempt = 1; ; attempt += 1) {
      const sentToken = authenticated ? this.tokens?.accessToken : undefined;
      if (sentToken) {
        headers['authorization'] = `Bearer ${sentToken}`;
      }
      let response: Response;
      try {
        response = await this.fetchImpl(url, {
          method: operation.method,
          headers,
          body,
          signal: raw
            ? options.signal
            : withTimeout(options.signal, this.options.timeoutMs ?? 10_000),
        });
      } catch (error) {
        if (options.signal?.aborted) {
          throw options.signal.reason ?? error;
        }
        const timedOut = error instanceof Error && error.name === 'TimeoutError';
        const failure = timedOut
          ? clientProblem(ClientErrorCode.Timeout, 504, `no answer from ${url} in time`)
          : clientProblem(ClientErrorCode.NetworkError, 503, `${url}: ${describe(error)}`);
        if (retryable && attempt <= retry.retries) {
          delay = nextDelayMs(delay, retry);
          await sleep(delay, options.signal);
          continue;
        }
        throw failure;
      }

      if (response.ok) {
        return {
          body: raw ? response : await this.parseBody(operation, response),
          meta: {
            status: response.status,
            traceId: response.headers.get('x-trace-id') ?? undefined,
            etag: response.headers.get('etag') ?? undefined,
            attempts: attempt,
          },
        };
      }
      const wait = retryAfterMs(response.headers.get('retry-after'));
      if (
        response.status === 401 &&
        authenticated &&
        !refreshed &&
        operation.path !== REFRESH_PATH
      ) {
        refreshed = true;
        const unauthenticated = await problemFromResponse(response, wait);
        // Another call may have refreshed meanwhile: then only retry with the newer token.
        const newer = this.tokens !== undefined && this.tokens.accessToken !== sentToken;
        if (newer || (await this.refreshTokens())) {
          attempt -= 1; // the retry after a refresh is not a failed attempt
          continue;
        }
        throw unauthenticated;
      }
      if (retryable && attempt <= retry.retries && [429, 502, 503, 504].includes(response.status)) {
        await response.body?.cancel().catch(() => undefined);
        delay = Math.min(retry.maxDelayMs, Math.max(wait ?? 0, nextDelayMs(delay, retry)));
        await sleep(delay, options.signal);
        continue;
      }
      throw await problemFromResponse(response, wait);
    }
  }

  private async parseBody(operation: HttpOperation, response: Response): Promise<unknown> {
    const schema = operation.success.schema;
    const text = response.status === 204 ? '' : await response.text();
    if (!schema) {
      return undefined;
    }
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      throw clientProblem(ClientErrorCode.InvalidResponse, 502, 'the answer is not JSON');
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw clientProblem(
        ClientErrorCode.InvalidResponse,
        502,
        `${operation.operationId}: the answer does not match the contract: ${parsed.error.message.slice(0, 400)}`,
      );
    }
    return parsed.data;
  }

  /**
   * Keeps tokens from auth answers (login, dev login, refresh, a platform operator's login) and
   * drops them on logout.
   */
  private noteTokens(operation: HttpOperation, body: unknown): void {
    if (operation.tag !== 'auth' && operation.operationId !== 'platformLogin') {
      return;
    }
    if (operation.path.endsWith('/logout')) {
      this.setTokens(undefined);
      return;
    }
    if (
      body &&
      typeof body === 'object' &&
      typeof (body as ClientTokens).accessToken === 'string'
    ) {
      const { accessToken, expiresIn, refreshToken } = body as ClientTokens;
      this.setTokens({ accessToken, expiresIn, refreshToken });
    }
  }

  private expired(): boolean {
    return this.accessExpiresAt !== undefined && this.accessExpiresAt <= Date.now();
  }

  private expiresSoon(): boolean {
    return (
      this.accessExpiresAt !== undefined &&
      this.accessExpiresAt - Date.now() < (this.options.refreshLeewayS ?? 30) * 1000
    );
  }

  /** One refresh at a time: concurrent callers share it. Resolves whether new tokens were had. */
  private refreshTokens(): Promise<boolean> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async doRefresh(): Promise<boolean> {
    try {
      const tokens = this.options.refresh
        ? await this.options.refresh(this)
        : await this.refreshWithRoute();
      if (!tokens) {
        return false;
      }
      this.setTokens(tokens);
      return true;
    } catch (error) {
      if (error instanceof GadProblemError && (error.status === 401 || error.status === 403)) {
        this.setTokens(undefined); // the session is over (expired, revoked, refresh token reused)
        return false;
      }
      throw error;
    }
  }

  /** `POST /v1/auth/refresh` with the held refresh token, when the registry has the route. */
  private async refreshWithRoute(): Promise<ClientTokens | undefined> {
    const refreshToken = this.tokens?.refreshToken;
    const route = Object.values(operations as Record<string, HttpOperation>).find(
      (operation) => operation.method === 'POST' && operation.path === REFRESH_PATH,
    );
    if (!route || !refreshToken) {
      return undefined;
    }
    const { body } = await this.request(
      route,
      { body: { refreshToken } },
      { retry: { retries: 0 } },
    );
    return body as ClientTokens;
  }
}

interface RequestParts {
  params?: Record<string, unknown>;
  query?: Record<string, unknown>;
  body?: unknown;
}

function buildPath(template: string, params: Record<string, unknown> = {}): string {
  return template.replace(/\{([A-Za-z0-9_]+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined || value === null) {
      throw new TypeError(`missing path parameter ${name} for ${template}`);
    }
    return encodeURIComponent(String(value));
  });
}

function queryString(params: Record<string, unknown> | undefined): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value === undefined || value === null) {
      continue;
    }
    query.set(
      key,
      Array.isArray(value)
        ? value.join(',')
        : value instanceof Date
          ? value.toISOString()
          : String(value),
    );
  }
  const text = query.toString();
  return text ? `?${text}` : '';
}

function withTimeout(signal: AbortSignal | undefined, timeoutMs: number): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

function sessionEnded(): GadProblemError {
  return clientProblem(
    ClientErrorCode.SessionEnded,
    401,
    'no access token can be had: log in again (the session ended or was never opened)',
  );
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}

export function createGadClient(options: GadClientOptions): GadRestClient {
  return new GadRestClient(options);
}
