import { startRedisServer, type RedisServerHandle } from '@gad/testing';
import { ADMIN, IdentityTestApp } from './identity-test-app';

/**
 * The guard reads a session's deny-list entry in the same Redis command that takes the user's
 * rate-limit token; while Redis does not answer, PostgreSQL decides. Against a private
 * redis-server that the test stops: a logged-out session's access token stays refused and the
 * user's other session is still served.
 */
describe('api-gateway session check while Redis is down', () => {
  let redisServer: RedisServerHandle;
  let gw: IdentityTestApp;

  beforeAll(async () => {
    redisServer = await startRedisServer();
    gw = await IdentityTestApp.start({
      REDIS_URL: redisServer.url,
      REDIS_COMMAND_TIMEOUT_MS: '500',
    });
  }, 60_000);

  afterAll(async () => {
    await redisServer?.start().catch(() => undefined);
    await gw?.close();
    await redisServer?.dispose();
  }, 60_000);

  it('refuses a revoked session from Redis, and from PostgreSQL while Redis is down', async () => {
    const leaving = (await gw.login(ADMIN.username, ADMIN.password)).body;
    const staying = (await gw.login(ADMIN.username, ADMIN.password)).body;
    expect((await gw.send('GET', '/v1/me', { token: leaving.accessToken })).status).toBe(200);
    expect((await gw.send('POST', '/v1/auth/logout', { token: leaving.accessToken })).status).toBe(
      204,
    );

    const revoked = await gw.send('GET', '/v1/me', { token: leaving.accessToken });
    expect({ status: revoked.status, code: revoked.body['code'] }).toEqual({
      status: 401,
      code: 'session_revoked',
    });
    expect((await gw.send('GET', '/v1/me', { token: staying.accessToken })).status).toBe(200);

    await redisServer.stop();
    const revokedWithoutRedis = await gw.send('GET', '/v1/me', { token: leaving.accessToken });
    expect({ status: revokedWithoutRedis.status, code: revokedWithoutRedis.body['code'] }).toEqual({
      status: 401,
      code: 'session_revoked',
    });
    const served = await gw.send('GET', '/v1/me', { token: staying.accessToken });
    expect(served.status).toBe(200);
  }, 30_000);
});
