import type { SessionTokens } from '@gad/contracts';
import { waitFor } from '@gad/testing';
import { ADMIN, IdentityTestApp, type Reply } from './identity-test-app';

/**
 * The per-IP limit is a token bucket (20 requests, refilled at 20 per 10 s here): a client that
 * bursts past it gets 429 only while it keeps going and is served again as soon as it stops, not
 * when a fixed window ends. Token refresh with a valid refresh token is never refused for its IP
 * (devices behind one address reconnecting after an outage), only per session.
 */
describe('api-gateway rate limit recovery', () => {
  let gw: IdentityTestApp;

  beforeAll(async () => {
    gw = await IdentityTestApp.start({
      RATE_LIMIT_IP_POINTS: '20',
      RATE_LIMIT_USER_POINTS: '1000',
      RATE_LIMIT_WINDOW_SECONDS: '10',
    });
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
  });

  /** Requests from this test's address until one is refused with 429. */
  async function burstUntilLimited(): Promise<void> {
    for (let i = 0; i < 200; i += 1) {
      if ((await gw.send('GET', '/v1/me')).status === 429) {
        return;
      }
    }
    throw new Error('never limited');
  }

  it('serves a client again within seconds once its burst stops', async () => {
    // A burst of several seconds, well past the bucket.
    const until = Date.now() + 3_000;
    let limited = 0;
    while (Date.now() < until) {
      if ((await gw.send('GET', '/v1/me')).status === 429) limited += 1;
    }
    expect(limited).toBeGreaterThan(0);

    // The burst has stopped: the next requests are served (401 without a token) within a few
    // seconds, not after the rest of a 10 s window.
    const stopped = Date.now();
    await waitFor(async () => (await gw.send('GET', '/v1/me')).status === 401, {
      description: 'served again after the burst',
      timeoutMs: 3_000,
      intervalMs: 200,
    });
    expect(Date.now() - stopped).toBeLessThan(3_000);
  });

  it('refreshes a valid session while its address is over the limit', async () => {
    // The previous test left the bucket nearly empty: log in once it has a token again.
    const login = await waitFor(
      async () => {
        const reply = await gw.login(ADMIN.username, ADMIN.password);
        return reply.status === 200 && reply;
      },
      { description: 'admin login', timeoutMs: 5_000, intervalMs: 200 },
    );
    let refreshToken = login.body.refreshToken;

    await burstUntilLimited();
    // Several devices behind the address reconnect: each valid refresh is served.
    for (let i = 0; i < 3; i += 1) {
      const refreshed = await gw.send<SessionTokens>('POST', '/v1/auth/refresh', {
        body: { refreshToken },
      });
      expect(refreshed.status).toBe(200);
      refreshToken = refreshed.body.refreshToken;
    }
    // Guessing refresh tokens still counts against the address. The bucket refills a token every
    // 500 ms, so a guess the scheduler delays past that may spend it (401); the next is refused.
    await burstUntilLimited();
    const guesses: Array<Reply<Record<string, unknown>>> = [];
    for (let i = 0; i < 3 && guesses.at(-1)?.status !== 429; i += 1) {
      guesses.push(
        await gw.send('POST', '/v1/auth/refresh', { body: { refreshToken: 'x'.repeat(43) } }),
      );
    }
    const refused = guesses.at(-1);
    expect(refused?.status).toBe(429);
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });
});
