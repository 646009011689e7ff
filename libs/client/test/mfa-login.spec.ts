import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isMfaChallenge } from '@gad/contracts';
import { createGadClient } from '@gad/client';

interface Seen {
  method: string;
  url: string;
  authorization?: string;
  body: string;
}

const json = (response: ServerResponse, status: number, body?: unknown): void => {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(body === undefined ? undefined : JSON.stringify(body));
};

const TOKENS = {
  accessToken: 'access-after-mfa',
  tokenType: 'Bearer',
  expiresIn: 900,
  refreshToken: 'refresh-after-mfa',
  refreshExpiresIn: 43_200,
  sessionId: '01a24da1-0000-7000-8000-000000000001',
};

/**
 * The two-step login and the session helpers of `client.auth` against a real HTTP server standing
 * in for the api-gateway (the gateway side runs in api-gateway's identity-mfa integration spec).
 */
describe('GadRestClient MFA login and sessions', () => {
  let server: Server;
  let baseUrl: string;
  const seen: Seen[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        seen.push({
          method: request.method ?? '',
          url: request.url ?? '',
          authorization: request.headers.authorization,
          body,
        });
        const route = `${request.method} ${request.url}`;
        if (route === 'POST /v1/auth/login') {
          json(response, 200, {
            mfaRequired: true,
            challengeToken: 'challenge-1',
            expiresIn: 300,
            methods: ['totp', 'recovery_code'],
          });
        } else if (route === 'POST /v1/auth/mfa') {
          json(response, 200, TOKENS);
        } else if (route === 'GET /v1/me/sessions') {
          json(response, 200, { items: [] });
        } else if (request.method === 'DELETE') {
          json(response, 204);
        } else {
          json(response, 404, { type: 'about:blank', title: 'Not Found', status: 404 });
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('returns the challenge without tokens, then keeps the tokens of the second step', async () => {
    const sut = createGadClient({ baseUrl });
    const first = await sut.auth.login({ login: 'dispatcher', password: 'a long password' });
    expect(isMfaChallenge(first)).toBe(true);
    expect(sut.getTokens()).toBeUndefined();

    const tokens = await sut.auth.verifyMfa('challenge-1', '123456');
    expect(tokens.sessionId).toBe(TOKENS.sessionId);
    expect(sut.getTokens()).toMatchObject({
      accessToken: 'access-after-mfa',
      refreshToken: 'refresh-after-mfa',
    });
    expect(JSON.parse(seen.find((entry) => entry.url === '/v1/auth/mfa')?.body ?? '{}')).toEqual({
      challengeToken: 'challenge-1',
      code: '123456',
    });

    expect(await sut.auth.sessions()).toEqual({ items: [] });
    await sut.auth.endSession(TOKENS.sessionId);
    await sut.auth.endUserSessions('01a24da1-0000-7000-8000-000000000002');
    const deletes = seen.filter((entry) => entry.method === 'DELETE');
    expect(deletes.map((entry) => entry.url)).toEqual([
      `/v1/me/sessions/${TOKENS.sessionId}`,
      '/v1/users/01a24da1-0000-7000-8000-000000000002/sessions',
    ]);
    expect(deletes.every((entry) => entry.authorization === 'Bearer access-after-mfa')).toBe(true);
  });
});
