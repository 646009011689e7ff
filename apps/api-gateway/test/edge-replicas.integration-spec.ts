import { redisClientFromUrl } from '@gad/platform';
import { startRedisServer, waitFor, type RedisServerHandle } from '@gad/testing';
import { ADMIN, IdentityTestApp } from './identity-test-app';

/**
 * Two replicas of the api-gateway on one database and one Redis (docs/adr/0035): the per-user
 * rate limit is one bucket shared through Redis although each replica spends leased tokens from
 * memory, and a session revoked through one replica is refused by the other at once (pub/sub),
 * not after its memory of the session ages out.
 */
describe('api-gateway replicas: leased rate limit and revocations', () => {
  const POINTS = 200;
  let a: IdentityTestApp;
  let b: IdentityTestApp;

  beforeAll(async () => {
    // 200 requests per hour: the bucket barely refills while the test runs.
    a = await IdentityTestApp.start({
      RATE_LIMIT_USER_POINTS: String(POINTS),
      RATE_LIMIT_WINDOW_SECONDS: '3600',
    });
    b = await a.startTwin();
  }, 60_000);

  afterAll(async () => {
    await b?.close();
    await a?.close();
  }, 60_000);

  it('keeps one user bucket across both replicas, within the leases they hold', async () => {
    const token = await a.devToken('agency-lease', ['dispatcher'], 'busy-on-two-screens');
    const served = { a: 0, b: 0 };
    const refused: Array<{ status: number; retryAfter: number; code: unknown }> = [];
    // Both replicas at once, until each has refused the user.
    for (let round = 0; round < 100 && refused.length < 2 * 10; round += 1) {
      const replies = await Promise.all(
        [a, a, a, a, b, b, b, b].map(async (gw) => ({
          gw,
          reply: await gw.send('GET', '/v1/agency', { token }),
        })),
      );
      for (const { gw, reply } of replies) {
        if (reply.status === 429) {
          refused.push({
            status: reply.status,
            retryAfter: Number(reply.headers.get('retry-after')),
            code: reply.body['code'],
          });
        } else {
          expect(reply.status).toBe(404); // no agency row: served past the guard
          served[gw === a ? 'a' : 'b'] += 1;
        }
      }
    }
    // Both replicas served a share, and together no more than the one bucket holds (its refill
    // over the test is a fraction of a token); at most one unspent lease token per replica
    // (lease ceiling 2 for a bucket of 200) may be dropped.
    expect(served.a).toBeGreaterThan(0);
    expect(served.b).toBeGreaterThan(0);
    expect(served.a + served.b).toBeLessThanOrEqual(POINTS + 1);
    expect(served.a + served.b).toBeGreaterThanOrEqual(POINTS - 2);
    expect(refused.length).toBeGreaterThan(0);
    for (const refusal of refused) {
      expect(refusal.code).toBe('rate_limited');
      expect(refusal.retryAfter).toBeGreaterThanOrEqual(1);
    }
    // Another user is still served on both.
    const other = await b.devToken('agency-lease', ['dispatcher'], 'calm-colleague');
    expect((await a.send('GET', '/v1/agency', { token: other })).status).toBe(404);
    expect((await b.send('GET', '/v1/agency', { token: other })).status).toBe(404);
  }, 60_000);

  it('refuses on the second replica a session just revoked on the first', async () => {
    const leaving = (await a.login(ADMIN.username, ADMIN.password)).body;
    const staying = (await a.login(ADMIN.username, ADMIN.password)).body;
    // B has seen both sessions served (and remembers them as not revoked).
    for (let i = 0; i < 3; i += 1) {
      expect((await b.send('GET', '/v1/me', { token: leaving.accessToken })).status).toBe(200);
      expect((await b.send('GET', '/v1/me', { token: staying.accessToken })).status).toBe(200);
    }
    expect((await a.send('POST', '/v1/auth/logout', { token: leaving.accessToken })).status).toBe(
      204,
    );
    const onB = await b.send('GET', '/v1/me', { token: leaving.accessToken });
    expect({ status: onB.status, code: onB.body['code'] }).toEqual({
      status: 401,
      code: 'session_revoked',
    });
    const onA = await a.send('GET', '/v1/me', { token: leaving.accessToken });
    expect({ status: onA.status, code: onA.body['code'] }).toEqual({
      status: 401,
      code: 'session_revoked',
    });
    expect((await b.send('GET', '/v1/me', { token: staying.accessToken })).status).toBe(200);
  }, 30_000);
});

/**
 * A replica whose revocation channel dropped must not trust what it remembers: a session revoked
 * while the subscription was down (its message lost) is refused at once, not after the memory
 * ages out. Against a private redis-server whose client connections the test kills.
 */
describe('api-gateway replica after its revocation channel dropped', () => {
  let redisServer: RedisServerHandle;
  let a: IdentityTestApp;
  let b: IdentityTestApp;

  beforeAll(async () => {
    redisServer = await startRedisServer();
    a = await IdentityTestApp.start({ REDIS_URL: redisServer.url });
    b = await a.startTwin();
  }, 60_000);

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await redisServer?.dispose();
  }, 60_000);

  it('refuses a session revoked while its subscription was down', async () => {
    const leaving = (await a.login(ADMIN.username, ADMIN.password)).body;
    expect((await b.send('GET', '/v1/me', { token: leaving.accessToken })).status).toBe(200);

    const admin = redisClientFromUrl(redisServer.url);
    try {
      // Drop every subscriber connection (both replicas'), then revoke before they are back: the
      // published message reaches nobody.
      await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      expect((await a.send('POST', '/v1/auth/logout', { token: leaving.accessToken })).status).toBe(
        204,
      );
      const onB = await b.send('GET', '/v1/me', { token: leaving.accessToken });
      expect({ status: onB.status, code: onB.body['code'] }).toEqual({
        status: 401,
        code: 'session_revoked',
      });
      // Resubscribed: still refused, and a fresh session is served.
      await waitFor(
        async () =>
          Number(
            (
              (await admin.call(
                'PUBSUB',
                'NUMSUB',
                `${a.config.REDIS_KEY_PREFIX}auth:revoked-sessions`,
              )) as [string, number]
            )[1],
          ) === 2,
        { description: 'both replicas subscribed again', timeoutMs: 10_000 },
      );
      expect((await b.send('GET', '/v1/me', { token: leaving.accessToken })).status).toBe(401);
      const fresh = (await a.login(ADMIN.username, ADMIN.password)).body;
      expect((await b.send('GET', '/v1/me', { token: fresh.accessToken })).status).toBe(200);
    } finally {
      admin.disconnect();
    }
  }, 30_000);
});
