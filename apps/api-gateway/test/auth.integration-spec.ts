import { AuditActions, problemSchema, type SessionTokens, type User } from '@gad/contracts';
import { ADMIN, IdentityTestApp } from './identity-test-app';

/**
 * Login, refresh-token rotation and reuse detection, logout, throttling and unlock, re-authentication
 * after 12 h, 90-day inactivity, first admin from the environment — against the real PostgreSQL
 * and Redis, with the audit entries and `user.sessions_revoked` events they produce.
 */
/** The claims of a JWT (signature checked by the gateway; here only read). */
function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
}

describe('api-gateway authentication', () => {
  let gw: IdentityTestApp;
  let admin: string;

  beforeAll(async () => {
    gw = await IdentityTestApp.start({ AUTH_THROTTLE_FREE_ATTEMPTS: '3' });
    admin = await gw.adminToken();
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
  });

  it('creates the first admin from BOOTSTRAP_* once, with an argon2id hash', async () => {
    const rows = await gw.query<{ username: string; roles: string[]; password_hash: string }>(
      `SELECT username, roles, password_hash FROM dispatch.users WHERE 'admin' = ANY (roles)`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ username: ADMIN.username, roles: ['admin'] });
    expect(rows[0]?.password_hash).toMatch(/^\$argon2id\$/);
    expect(rows[0]?.password_hash).not.toContain(ADMIN.password);
  });

  it('logs in by username or e-mail and answers GET /v1/me', async () => {
    const byEmail = await gw.login(ADMIN.email.toUpperCase(), ADMIN.password);
    expect(byEmail.status).toBe(200);
    expect(byEmail.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
    expect(byEmail.body.refreshExpiresIn).toBeGreaterThan(12 * 3600 - 60);

    const me = await gw.send<User>('GET', '/v1/me', { token: byEmail.body.accessToken });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ username: ADMIN.username, agencyId: ADMIN.agencyId });
    expect(me.body).not.toHaveProperty('passwordHash');
  });

  it('gives an officer who crews a unit its unitId claim, so the device may join /field', async () => {
    const officerId = await gw.createUser(admin, { username: 'officer-crew', roles: ['officer'] });
    const before = await gw.login('officer-crew', 'a long enough password');
    expect(claimsOf(before.body.accessToken)).not.toHaveProperty('unitId');

    const unit = await gw.send<{ id: string }>('POST', '/v1/units', {
      token: admin,
      body: { callSign: 'CREW-1', type: 'patrol', crew: [officerId] },
    });
    expect(unit.status).toBe(201);
    const after = await gw.login('officer-crew', 'a long enough password');
    expect(claimsOf(after.body.accessToken)).toMatchObject({
      sub: officerId,
      unitId: unit.body.id,
    });
    const refreshed = await gw.send<SessionTokens>('POST', '/v1/auth/refresh', {
      body: { refreshToken: after.body.refreshToken },
    });
    expect(claimsOf(refreshed.body.accessToken)).toMatchObject({ unitId: unit.body.id });
  });

  it('never truncates a password and refuses policy violations with 422', async () => {
    const long = 'x'.repeat(255) + 'A';
    await gw.createUser(admin, { username: 'longpass', password: long });
    expect((await gw.login('longpass', long)).status).toBe(200);
    expect((await gw.login('longpass', long.slice(0, 255))).status).toBe(401);
    expect((await gw.login('longpass', `${long}B`)).status).toBe(422);

    const short = await gw.send('POST', '/v1/users', {
      token: admin,
      body: {
        username: 'short',
        email: 'short@example.test',
        roles: ['officer'],
        password: 'x'.repeat(11),
      },
    });
    expect(short.status).toBe(422);
    expect(problemSchema.parse(short.body).errors?.[0]?.pointer).toBe('/body/password');
  });

  it('rotates refresh tokens; a reused one revokes the whole family', async () => {
    await gw.createUser(admin, { username: 'rotator', password: 'rotator password 1' });
    const first = (await gw.login('rotator', 'rotator password 1')).body;

    const second = await gw.send<SessionTokens>('POST', '/v1/auth/refresh', {
      body: { refreshToken: first.refreshToken },
    });
    expect(second.status).toBe(200);
    expect(second.body.refreshToken).not.toBe(first.refreshToken);
    expect(second.body.sessionId).toBe(first.sessionId);
    const third = await gw.send<SessionTokens>('POST', '/v1/auth/refresh', {
      body: { refreshToken: second.body.refreshToken },
    });
    expect(third.status).toBe(200);
    expect((await gw.send('GET', '/v1/me', { token: third.body.accessToken })).status).toBe(200);

    // The first token again: reuse. The family ends, including the newest tokens.
    const reused = await gw.send('POST', '/v1/auth/refresh', {
      body: { refreshToken: first.refreshToken },
    });
    expect(reused.status).toBe(401);
    expect(reused.body).toMatchObject({ code: 'invalid_refresh_token' });
    const newest = await gw.send('POST', '/v1/auth/refresh', {
      body: { refreshToken: third.body.refreshToken },
    });
    expect(newest.status).toBe(401);
    const me = await gw.send('GET', '/v1/me', { token: third.body.accessToken });
    expect(me.status).toBe(401);
    expect(me.body).toMatchObject({ code: 'session_revoked' });

    // Stored hashed only.
    const stored = await gw.query<{ n: string }>(
      `SELECT count(*) AS n FROM dispatch.refresh_tokens WHERE encode(token_hash, 'escape') LIKE $1`,
      [`%${first.refreshToken}%`],
    );
    expect(stored[0]?.n).toBe('0');
    const events = await gw.revocationEvents();
    expect(events).toContainEqual(
      expect.objectContaining({
        data: expect.objectContaining({ sessionId: first.sessionId, reason: 'token_reuse' }),
      }),
    );
    const audit = await gw.auditEntries();
    expect(audit).toContainEqual(
      expect.objectContaining({ action: AuditActions.TokenReuseDetected, outcome: 'denied' }),
    );
    expect(audit).toContainEqual(
      expect.objectContaining({ action: AuditActions.TokenRefreshed, outcome: 'success' }),
    );
  });

  it('logout revokes the session: refresh and access tokens stop working', async () => {
    await gw.createUser(admin, { username: 'leaver', password: 'leaver password 1' });
    const tokens = (await gw.login('leaver', 'leaver password 1')).body;
    const other = (await gw.login('leaver', 'leaver password 1')).body;

    const out = await gw.send('POST', '/v1/auth/logout', { token: tokens.accessToken });
    expect(out.status).toBe(204);
    expect((await gw.send('GET', '/v1/me', { token: tokens.accessToken })).status).toBe(401);
    const refresh = await gw.send('POST', '/v1/auth/refresh', {
      body: { refreshToken: tokens.refreshToken },
    });
    expect(refresh.status).toBe(401);
    // The user's other session lives on.
    expect((await gw.send('GET', '/v1/me', { token: other.accessToken })).status).toBe(200);
    expect(await gw.revocationEvents()).toContainEqual(
      expect.objectContaining({
        data: expect.objectContaining({ sessionId: tokens.sessionId, reason: 'logout' }),
      }),
    );
    expect(await gw.auditEntries()).toContainEqual(
      expect.objectContaining({ action: AuditActions.Logout, outcome: 'success' }),
    );
  });

  it('slows a guesser with a temporary lock instead of a lockout; an admin can lift it', async () => {
    const id = await gw.createUser(admin, { username: 'guesser', password: 'guesser password 1' });
    const live = (await gw.login('guesser', 'guesser password 1')).body;
    for (let attempt = 0; attempt < 4; attempt += 1) {
      const failed = await gw.login('guesser', `wrong password ${attempt}`);
      expect(failed.status).toBe(401);
      expect(failed.body).toMatchObject({ code: 'invalid_credentials' });
    }
    // Beyond the free attempts the source waits, even with the right password (429 Retry-After)...
    const throttled = await gw.login('guesser', 'guesser password 1');
    expect(throttled.status).toBe(429);
    expect(throttled.body).toMatchObject({ code: 'login_throttled' });
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    // ...but nobody is locked out: the account stays active and its session lives on.
    expect((await gw.send('GET', '/v1/me', { token: live.accessToken })).status).toBe(200);
    const user = await gw.send<User>('GET', `/v1/users/${id}`, { token: admin });
    expect(user.body).toMatchObject({ status: 'active' });

    const unlocked = await gw.send<User>('POST', `/v1/users/${id}/unlock`, { token: admin });
    expect(unlocked.status).toBe(200);
    expect((await gw.login('guesser', 'guesser password 1')).status).toBe(200);

    const audit = await gw.auditEntries();
    for (const action of [
      AuditActions.AccountLocked,
      AuditActions.AccountUnlocked,
      AuditActions.LoginFailed,
      AuditActions.LoginSucceeded,
    ]) {
      expect(audit).toContainEqual(expect.objectContaining({ action, agencyId: ADMIN.agencyId }));
    }
  });

  it('throttles unknown logins like known ones (no enumeration by the answer)', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 5; attempt += 1) {
      statuses.push((await gw.login('nobody-here', 'wrong password!!')).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429]);
  });

  it('ignores X-Forwarded-For from an untrusted peer (no TRUSTED_PROXIES): no escape by spoofing', async () => {
    await gw.createUser(admin, { username: 'spoofed', password: 'spoofed password' });
    for (let attempt = 0; attempt < 4; attempt += 1) {
      await gw.send('POST', '/v1/auth/login', {
        body: { login: 'spoofed', password: 'wrong password!!' },
        headers: { 'x-forwarded-for': `203.0.113.${attempt + 1}` },
      });
    }
    const rotated = await gw.send('POST', '/v1/auth/login', {
      body: { login: 'spoofed', password: 'spoofed password' },
      headers: { 'x-forwarded-for': '203.0.113.99' },
    });
    expect(rotated.status).toBe(429);
    const failed = (await gw.auditEntries()).filter(
      (entry) => entry.action === AuditActions.LoginFailed && entry.reason === 'wrong password',
    );
    expect(failed.length).toBeGreaterThan(0);
    for (const entry of failed) {
      expect(entry.source?.ip).not.toMatch(/^203\.0\.113\./);
    }
  });

  it('refuses refresh 12 hours after the login (re-authentication)', async () => {
    await gw.createUser(admin, { username: 'nightshift', password: 'night password 1' });
    const tokens = (await gw.login('nightshift', 'night password 1')).body;
    await gw.query(
      `UPDATE dispatch.sessions SET authenticated_at = authenticated_at - interval '12 hours 1 minute',
         expires_at = expires_at - interval '12 hours 1 minute' WHERE id = $1`,
      [tokens.sessionId],
    );
    const refresh = await gw.send('POST', '/v1/auth/refresh', {
      body: { refreshToken: tokens.refreshToken },
    });
    expect(refresh.status).toBe(401);
    expect(refresh.body).toMatchObject({ code: 'reauthentication_required' });
    expect((await gw.login('nightshift', 'night password 1')).status).toBe(200);
  });

  it('disables accounts unused for 90 days', async () => {
    const id = await gw.createUser(admin, { username: 'sleeper', password: 'sleeper password' });
    await gw.query(
      `UPDATE dispatch.users SET last_seen_at = now() - interval '91 days' WHERE id = $1`,
      [id],
    );
    expect((await gw.login('sleeper', 'sleeper password')).status).toBe(401);
    const user = await gw.send<User>('GET', `/v1/users/${id}`, { token: admin });
    expect(user.body).toMatchObject({ status: 'disabled', statusReason: 'inactive' });

    expect((await gw.send('POST', `/v1/users/${id}/enable`, { token: admin })).status).toBe(200);
    expect((await gw.login('sleeper', 'sleeper password')).status).toBe(200);
  });

  it('role change and disable end the user’s sessions and publish user.sessions_revoked', async () => {
    const id = await gw.createUser(admin, { username: 'promoted', password: 'promoted password' });
    const before = (await gw.login('promoted', 'promoted password')).body;

    const changed = await gw.send<User>('PUT', `/v1/users/${id}/roles`, {
      token: admin,
      body: { roles: ['supervisor'] },
    });
    expect(changed.status).toBe(200);
    expect(changed.body.roles).toEqual(['supervisor']);
    expect((await gw.send('GET', '/v1/me', { token: before.accessToken })).status).toBe(401);
    const after = await gw.login('promoted', 'promoted password');
    expect(after.status).toBe(200);

    expect((await gw.send('POST', `/v1/users/${id}/disable`, { token: admin })).status).toBe(200);
    expect((await gw.send('GET', '/v1/me', { token: after.body.accessToken })).status).toBe(401);
    expect((await gw.login('promoted', 'promoted password')).status).toBe(401);

    const reasons = (await gw.revocationEvents())
      .filter((event) => event.data['userId'] === id)
      .map((event) => event.data['reason']);
    expect(reasons).toEqual(['role_changed', 'disabled']);
    expect(await gw.auditEntries()).toContainEqual(
      expect.objectContaining({
        action: AuditActions.RolesChanged,
        outcome: 'success',
        object: { type: 'user', id },
      }),
    );
  });

  it('an admin cannot disable or demote themselves', async () => {
    const me = await gw.send<User>('GET', '/v1/me', { token: admin });
    const demote = await gw.send('PUT', `/v1/users/${me.body.id}/roles`, {
      token: admin,
      body: { roles: ['dispatcher'] },
    });
    expect(demote.status).toBe(409);
    expect(
      (await gw.send('POST', `/v1/users/${me.body.id}/disable`, { token: admin })).status,
    ).toBe(409);
  });

  it('changing one’s password keeps this session and ends the others', async () => {
    await gw.createUser(admin, { username: 'changer', password: 'changer password 1' });
    const mine = (await gw.login('changer', 'changer password 1')).body;
    const other = (await gw.login('changer', 'changer password 1')).body;

    const wrong = await gw.send('POST', '/v1/me/password', {
      token: mine.accessToken,
      body: { currentPassword: 'not my password', newPassword: 'changer password 2' },
    });
    expect(wrong.status).toBe(403);
    const ok = await gw.send('POST', '/v1/me/password', {
      token: mine.accessToken,
      body: { currentPassword: 'changer password 1', newPassword: 'changer password 2' },
    });
    expect(ok.status).toBe(204);
    expect((await gw.send('GET', '/v1/me', { token: mine.accessToken })).status).toBe(200);
    expect((await gw.send('GET', '/v1/me', { token: other.accessToken })).status).toBe(401);
    expect((await gw.login('changer', 'changer password 1')).status).toBe(401);
    expect((await gw.login('changer', 'changer password 2')).status).toBe(200);
    expect(await gw.auditEntries()).toContainEqual(
      expect.objectContaining({ action: AuditActions.PasswordChanged, outcome: 'success' }),
    );
  });

  it('keeps the development login working', async () => {
    const token = await gw.devToken('agency-dev', ['dispatcher']);
    expect(token).toEqual(expect.any(String));
  });
});
