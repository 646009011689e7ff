import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { operations, type HttpOperation, type Incident } from '@gad/contracts';
import { createGadClient, GadProblemError, type GadRestClient } from '@gad/client';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
type Handler = (request: Seen, response: ServerResponse) => void;

/** A real HTTP server standing in for the api-gateway: each test scripts its answers. */
describe('GadRestClient', () => {
  let server: Server;
  let baseUrl: string;
  let handler: Handler;
  let seen: Seen[];

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const entry = {
          method: request.method ?? '',
          url: request.url ?? '',
          headers: request.headers,
          body,
        };
        seen.push(entry);
        handler(entry, response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    seen = [];
  });

  const client = (options: Partial<Parameters<typeof createGadClient>[0]> = {}): GadRestClient =>
    createGadClient({
      baseUrl,
      accessToken: 'token-1',
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
      ...options,
    });
  const json = (response: ServerResponse, status: number, body: unknown, headers = {}) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(JSON.stringify(body));
  };
  const problem = (response: ServerResponse, status: number, code: string, headers = {}) => {
    response.writeHead(status, { 'content-type': 'application/problem+json', ...headers });
    response.end(JSON.stringify({ type: `urn:gad:problem:${code}`, title: code, status, code }));
  };
  const incident: Incident = {
    id: '0190d5c8-7a1e-7b3c-9d2e-3f4a5b6c7d8e',
    agencyId: 'agency-1',
    type: 'fire',
    priority: 'P1',
    status: 'new',
    location: { type: 'Point', coordinates: [-3.7, 40.4] },
    address: null,
    description: null,
    createdBy: 'u1',
    createdAt: '2026-11-22T10:00:00.000Z',
    updatedAt: '2026-11-22T10:00:00.000Z',
  } as Incident;

  it('has a typed method for every operation of the committed OpenAPI document', () => {
    const document = JSON.parse(
      readFileSync(join(__dirname, '../../../apps/api-gateway/openapi.json'), 'utf8'),
    ) as { paths: Record<string, Record<string, { operationId: string }>> };
    const sut = client();
    const documented = Object.values(document.paths).flatMap((methods) =>
      Object.values(methods).map((operation) => operation.operationId),
    );
    expect(documented.length).toBeGreaterThan(0);
    for (const operationId of documented) {
      expect([operationId, typeof (sut.ops as Record<string, unknown>)[operationId]]).toEqual([
        operationId,
        'function',
      ]);
    }
    expect(Object.keys(sut.ops).sort()).toEqual(Object.keys(operations).sort());
  });

  it('fills path parameters, sends the bearer token and validates the answer', async () => {
    handler = (_request, response) => json(response, 200, incident, { etag: '"3"' });
    const { body, meta } = await client().ops.getIncident({ params: { id: incident.id } });
    expect(body).toEqual(incident);
    expect(meta).toMatchObject({ status: 200, etag: '"3"', attempts: 1 });
    expect(seen[0]).toMatchObject({ method: 'GET', url: `/v1/incidents/${incident.id}` });
    expect(seen[0].headers.authorization).toBe('Bearer token-1');
  });

  it('serialises the query (arrays comma-joined) through the friendly helpers', async () => {
    handler = (_request, response) => json(response, 200, { items: [] });
    await client().units.nearest({ lon: -3.7, lat: 40.4, limit: 3, capabilities: ['als', 'k9'] });
    const url = new URL(seen[0].url, baseUrl);
    expect(url.pathname).toBe('/v1/units/nearest');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      lon: '-3.7',
      lat: '40.4',
      limit: '3',
      capabilities: 'als,k9',
    });
  });

  it('surfaces problem+json as a typed GadProblemError', async () => {
    handler = (_request, response) => {
      response.writeHead(422, { 'content-type': 'application/problem+json' });
      response.end(
        JSON.stringify({
          type: 'urn:gad:problem:validation_failed',
          title: 'Validation failed',
          status: 422,
          code: 'validation_failed',
          traceId: 'abc',
          errors: [{ pointer: '/body/priority', message: 'Invalid option' }],
        }),
      );
    };
    const error = await client()
      .incidents.create({
        type: 'fire',
        priority: 'P9' as 'P1',
        location: { type: 'Point', coordinates: [0, 0] },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GadProblemError);
    expect(error).toMatchObject({ status: 422, code: 'validation_failed', traceId: 'abc' });
    expect((error as GadProblemError).errors[0].pointer).toBe('/body/priority');
  });

  it('retries a creating POST with the same Idempotency-Key until it succeeds', async () => {
    let calls = 0;
    handler = (_request, response) =>
      (calls += 1) === 1
        ? problem(response, 503, 'overloaded', { 'retry-after': '0' })
        : json(response, 201, incident);
    const { meta } = await client().ops.createIncident({
      body: {
        type: 'fire',
        priority: 'P1',
        location: { type: 'Point', coordinates: [-3.7, 40.4] },
      },
    });
    expect(meta.attempts).toBe(2);
    const keys = seen.map((request) => request.headers['idempotency-key']);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).toBe(keys[0]);
  });

  it('retries GETs on 503 and network failures, but never a POST without an idempotency key', async () => {
    let calls = 0;
    handler = (_request, response) =>
      (calls += 1) < 3 ? problem(response, 503, 'overloaded') : json(response, 200, incident);
    const { meta } = await client().ops.getIncident({ params: { id: incident.id } });
    expect(meta.attempts).toBe(3);

    seen = [];
    handler = (_request, response) => problem(response, 503, 'overloaded');
    const error = await client()
      .positions.report({
        positions: [
          {
            unitId: 'u1',
            position: { type: 'Point', coordinates: [0, 0] },
            recordedAt: new Date().toISOString(),
            seq: 1,
          },
        ],
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 503, code: 'overloaded' });
    expect(seen).toHaveLength(1);

    const offline = createGadClient({
      baseUrl: 'http://127.0.0.1:1',
      retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 2 },
    });
    await expect(offline.ops.getJwks()).rejects.toMatchObject({ code: 'network_error' });
  });

  it('refreshes the access token once on 401 (shared by concurrent calls) and retries', async () => {
    let refreshes = 0;
    handler = (request, response) =>
      request.headers.authorization === 'Bearer token-2'
        ? json(response, 200, incident)
        : problem(response, 401, 'unauthenticated');
    const tokens: unknown[] = [];
    const sut = client({
      refresh: async () => {
        refreshes += 1;
        return { accessToken: 'token-2', expiresIn: 900 };
      },
      onTokens: (value) => tokens.push(value),
    });
    const results = await Promise.all([
      sut.ops.getIncident({ params: { id: incident.id } }),
      sut.ops.getIncident({ params: { id: incident.id } }),
    ]);
    expect(results.map((result) => result.body.id)).toEqual([incident.id, incident.id]);
    expect(refreshes).toBe(1);
    expect(sut.getAccessToken()).toBe('token-2');
    expect(tokens).toEqual([{ accessToken: 'token-2', expiresIn: 900 }]);

    // Without new tokens the 401 reaches the caller.
    const stuck = client({ refresh: async () => undefined });
    await expect(stuck.ops.getIncident({ params: { id: incident.id } })).rejects.toMatchObject({
      status: 401,
    });
  });

  const refreshRoute = Object.values(operations as Record<string, HttpOperation>).find(
    (operation) => operation.method === 'POST' && operation.path === '/v1/auth/refresh',
  );
  (refreshRoute ? it : it.skip)(
    'uses POST /v1/auth/refresh with the rotating refresh token by default',
    async () => {
      handler = (request, response) => {
        if (request.url === '/v1/auth/refresh') {
          expect(JSON.parse(request.body)).toEqual({ refreshToken: 'refresh-1' });
          return json(response, 200, {
            accessToken: 'token-2',
            tokenType: 'Bearer',
            expiresIn: 900,
            refreshToken: 'refresh-2',
            refreshExpiresIn: 43_200,
            sessionId: 's1',
          });
        }
        return request.headers.authorization === 'Bearer token-2'
          ? json(response, 200, incident)
          : problem(response, 401, 'unauthenticated');
      };
      const sut = client({ refreshToken: 'refresh-1' });
      await sut.ops.getIncident({ params: { id: incident.id } });
      expect(sut.getTokens()).toMatchObject({ accessToken: 'token-2', refreshToken: 'refresh-2' });
    },
  );

  it('keeps the token of a dev login', async () => {
    handler = (_request, response) =>
      json(response, 200, { accessToken: 'dev-token', tokenType: 'Bearer', expiresIn: 900 });
    const sut = createGadClient({ baseUrl });
    await sut.auth.devLogin({ agencyId: 'a', userId: 'u', roles: ['dispatcher'] });
    expect(sut.getAccessToken()).toBe('dev-token');
    expect(seen[0].headers.authorization).toBeUndefined();
  });

  it("keeps the token of a platform operator's login", async () => {
    handler = (_request, response) =>
      json(response, 200, { accessToken: 'platform-token', tokenType: 'Bearer', expiresIn: 900 });
    const sut = createGadClient({ baseUrl });
    await sut.ops.platformLogin({ body: { username: 'ops', password: 'ops-password-1' } });
    expect(sut.getAccessToken()).toBe('platform-token');
    expect(seen[0].url).toBe('/v1/platform/auth/login');
  });

  describe('freshAccessToken (the token function of sockets)', () => {
    let logins: number;
    let loginAnswer: (response: ServerResponse) => void;
    beforeEach(() => {
      logins = 0;
      loginAnswer = (response) =>
        json(response, 200, {
          accessToken: `login-${logins}`,
          tokenType: 'Bearer',
          expiresIn: 900,
        });
      handler = (_request, response) => {
        logins += 1;
        loginAnswer(response);
      };
    });

    /** A client whose refresh is a new dev login, like the fleet simulator's officers. */
    const withTokens = (expiresIn: number): GadRestClient => {
      const sut = createGadClient({
        baseUrl,
        retry: { retries: 0 },
        refresh: async (self) => {
          const tokens = await self.auth.devLogin({
            agencyId: 'a',
            userId: 'u',
            roles: ['officer'],
          });
          return { accessToken: tokens.accessToken, expiresIn: tokens.expiresIn };
        },
      });
      sut.setTokens({ accessToken: 'held', expiresIn });
      return sut;
    };

    it('answers the held token while it is valid, and a new one when asked to renew', async () => {
      const sut = withTokens(900);
      expect(await sut.freshAccessToken()).toBe('held');
      expect(logins).toBe(0);
      expect(await sut.freshAccessToken({ renew: true })).toBe('login-1');
      expect(sut.getAccessToken()).toBe('login-1');
    });

    it('never answers an expired token: renews it, and throws while the login fails', async () => {
      const sut = withTokens(0);
      loginAnswer = (response) => problem(response, 429, 'rate_limited', { 'retry-after': '2' });
      const error = await sut.freshAccessToken().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GadProblemError);
      expect(error).toMatchObject({ status: 429, code: 'rate_limited', retryAfterMs: 2_000 });
      loginAnswer = (response) =>
        json(response, 200, { accessToken: 'after-429', tokenType: 'Bearer', expiresIn: 900 });
      expect(await sut.freshAccessToken()).toBe('after-429');
    });

    it('keeps the held token when an early refresh fails', async () => {
      const sut = withTokens(10); // within the 30 s leeway, not expired
      loginAnswer = (response) => problem(response, 503, 'unavailable');
      expect(await sut.freshAccessToken()).toBe('held');
      expect(logins).toBe(1);
    });

    it('throws 401 session_ended when the session is over', async () => {
      const sut = withTokens(0);
      loginAnswer = (response) => problem(response, 401, 'unauthenticated');
      await expect(sut.freshAccessToken()).rejects.toMatchObject({
        status: 401,
        code: 'session_ended',
      });
      expect(sut.getAccessToken()).toBeUndefined();
      await expect(createGadClient({ baseUrl }).freshAccessToken()).rejects.toMatchObject({
        code: 'session_ended',
      });
    });
  });
});
