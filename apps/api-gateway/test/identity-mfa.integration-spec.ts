import {
  AuditActions,
  type LoginResponse,
  type SessionList,
  type SessionTokens,
} from '@gad/contracts';
import { Secret, TOTP } from 'otpauth';
import { TotpSecrets } from '../src/identity/totp-secrets.service';
import { IdentityTestApp } from './identity-test-app';

/**
 * Identity that meets CJIS (docs/adr/0023), against the real api-gateway, PostgreSQL and Redis:
 * TOTP enrolment and the second login step, recovery codes, the agency's MFA policy and the admin's
 * reset; the idle timeout of sessions; failed-login throttling per account and source with
 * temporary locks; listing and ending sessions; client addresses from trusted proxies only.
 */
function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
}

/** The TOTP code of `secret` for the time step `stepsAhead` after the current one. */
function codeOf(secret: string, stepsAhead = 0): string {
  return new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30 }).generate({
    timestamp: Date.now() + stepsAhead * 30_000,
  });
}

const PASSWORD = 'a long enough password';
const PROXY_FOR = (ip: string) => ({ 'x-forwarded-for': ip });
const OPERATOR = { username: 'platform-ops', password: 'platform operator password' };

describe('api-gateway identity: MFA, idle timeout, throttling, sessions, trusted proxies', () => {
  let gw: IdentityTestApp;
  let admin: string;

  beforeAll(async () => {
    gw = await IdentityTestApp.start({
      // The test client connects from the loopback: it plays the ingress.
      TRUSTED_PROXIES: '127.0.0.1,::1',
      AUTH_THROTTLE_FREE_ATTEMPTS: '3',
      AUTH_THROTTLE_ACCOUNT_FREE_ATTEMPTS: '6',
      AUTH_IDLE_TIMEOUT_BY_ROLE: 'officer=28800',
      BOOTSTRAP_PLATFORM_ADMIN_USERNAME: OPERATOR.username,
      BOOTSTRAP_PLATFORM_ADMIN_PASSWORD: OPERATOR.password,
    });
    admin = await gw.adminToken();
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
  });

  const login = (username: string, password = PASSWORD, ip = '198.51.100.1') =>
    gw.send<LoginResponse>('POST', '/v1/auth/login', {
      body: { login: username, password },
      headers: PROXY_FOR(ip),
    });

  /** Logs in a user without MFA; returns the session tokens. */
  async function session(username: string): Promise<SessionTokens> {
    const reply = await login(username);
    expect(reply.status).toBe(200);
    return reply.body as SessionTokens;
  }

  /** Enrols TOTP for the session's user; returns the secret and the recovery codes. */
  async function enrol(accessToken: string): Promise<{ secret: string; codes: string[] }> {
    const started = await gw.send<{ secret: string; otpauthUri: string }>(
      'POST',
      '/v1/me/mfa/totp',
      { token: accessToken },
    );
    expect(started.status).toBe(201);
    const confirmed = await gw.send<{ recoveryCodes: string[] }>(
      'POST',
      '/v1/me/mfa/totp/confirm',
      { token: accessToken, body: { code: codeOf(started.body.secret) } },
    );
    expect(confirmed.status).toBe(200);
    return { secret: started.body.secret, codes: confirmed.body.recoveryCodes };
  }

  async function setPolicy(roles: string[]): Promise<void> {
    const read = await gw.send('GET', '/v1/agency/settings', { token: admin });
    const changed = await gw.send('PATCH', '/v1/agency/settings', {
      token: admin,
      headers: { 'if-match': read.headers.get('etag') ?? '' },
      body: { mfaRequiredRoles: roles },
    });
    expect(changed.status).toBe(200);
  }

  it('enrols TOTP, then asks every login for a code; each code and recovery code works once', async () => {
    const id = await gw.createUser(admin, { username: 'mfa-user', password: PASSWORD });
    const first = await session('mfa-user');
    const started = await gw.send<{ secret: string; otpauthUri: string }>(
      'POST',
      '/v1/me/mfa/totp',
      { token: first.accessToken },
    );
    expect(started.status).toBe(201);
    expect(started.body.otpauthUri).toMatch(/^otpauth:\/\/totp\/.*secret=/);
    const wrong = await gw.send('POST', '/v1/me/mfa/totp/confirm', {
      token: first.accessToken,
      body: { code: codeOf(started.body.secret, 5) },
    });
    expect(wrong.status).toBe(422);
    expect(wrong.body).toMatchObject({ code: 'mfa_code_incorrect' });
    const confirmed = await gw.send<{ recoveryCodes: string[] }>(
      'POST',
      '/v1/me/mfa/totp/confirm',
      { token: first.accessToken, body: { code: codeOf(started.body.secret) } },
    );
    expect(confirmed.status).toBe(200);
    const codes = confirmed.body.recoveryCodes;
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    const again = await gw.send('POST', '/v1/me/mfa/totp', { token: first.accessToken });
    expect(again.status).toBe(409);
    const status = await gw.send('GET', '/v1/me/mfa', { token: first.accessToken });
    expect(status.body).toEqual({ totp: true, recoveryCodesLeft: 10, required: false });

    // The password alone now gives a challenge, never tokens.
    const challenged = await login('mfa-user');
    expect(challenged.status).toBe(200);
    expect(challenged.body).toMatchObject({
      mfaRequired: true,
      methods: ['totp', 'recovery_code'],
    });
    expect(challenged.body).not.toHaveProperty('accessToken');
    const challengeToken = (challenged.body as { challengeToken: string }).challengeToken;
    // The challenge is no access token.
    expect((await gw.send('GET', '/v1/me', { token: challengeToken })).status).toBe(401);

    const bad = await gw.send('POST', '/v1/auth/mfa', {
      body: { challengeToken, code: codeOf(started.body.secret, 4) },
    });
    expect(bad.status).toBe(401);
    expect(bad.body).toMatchObject({ code: 'invalid_mfa_code' });
    const code = codeOf(started.body.secret, 1);
    const verified = await gw.send<SessionTokens>('POST', '/v1/auth/mfa', {
      body: { challengeToken, code },
    });
    expect(verified.status).toBe(200);
    expect(claimsOf(verified.body.accessToken)).toMatchObject({ sub: id, amr: ['pwd', 'otp'] });
    expect((await gw.send('GET', '/v1/me', { token: verified.body.accessToken })).status).toBe(200);

    // The same code again (a replay) is refused; a recovery code works once.
    const replay = await gw.send('POST', '/v1/auth/mfa', { body: { challengeToken, code } });
    expect(replay.status).toBe(401);
    const recovery = codes[0] ?? '';
    const byRecovery = await gw.send<SessionTokens>('POST', '/v1/auth/mfa', {
      body: { challengeToken, code: recovery.toUpperCase() },
    });
    expect(byRecovery.status).toBe(200);
    const reused = await gw.send('POST', '/v1/auth/mfa', {
      body: { challengeToken, code: recovery },
    });
    expect(reused.status).toBe(401);
    const left = await gw.send('GET', '/v1/me/mfa', { token: byRecovery.body.accessToken });
    expect(left.body).toMatchObject({ recoveryCodesLeft: 9 });

    // Stored: the secret for the server's checks, recovery codes as digests only.
    const stored = await gw.query<{ n: string }>(
      `SELECT count(*) AS n FROM dispatch.user_recovery_codes
       WHERE user_id = $1 AND encode(code_hash, 'escape') LIKE $2`,
      [id, `%${(codes[1] ?? '').replace('-', '')}%`],
    );
    expect(stored[0]?.n).toBe('0');
    const audit = await gw.auditEntries();
    for (const action of [
      'auth.mfa_enrol',
      'auth.mfa_challenge',
      'auth.mfa_verify',
      'auth.mfa_failed',
      'auth.mfa_recovery_code',
    ]) {
      expect(audit).toContainEqual(
        expect.objectContaining({ action, actor: expect.objectContaining({ id }) }),
      );
    }
    // Neither the secret nor the recovery codes reach the audit trail.
    const trail = JSON.stringify(audit);
    expect(trail).not.toContain(started.body.secret);
    expect(trail).not.toContain(codes[2]);
  });

  it('keeps TOTP secrets sealed at rest and bound to their user; seals older ones at boot', async () => {
    const storedOf = async (userId: string): Promise<string> =>
      (
        await gw.query<{ totp_secret: string }>(
          'SELECT totp_secret FROM dispatch.user_mfa WHERE user_id = $1',
          [userId],
        )
      )[0]?.totp_secret ?? '';
    /** Logs in with the password, then answers the challenge with `code`: the status. */
    const secondStep = async (username: string, code: string): Promise<number> => {
      const challenged = await login(username);
      const challengeToken = (challenged.body as { challengeToken: string }).challengeToken;
      return (await gw.send('POST', '/v1/auth/mfa', { body: { challengeToken, code } })).status;
    };
    const alice = await gw.createUser(admin, { username: 'sealed-alice', password: PASSWORD });
    const bob = await gw.createUser(admin, { username: 'sealed-bob', password: PASSWORD });
    const aliceSecret = (await enrol((await session('sealed-alice')).accessToken)).secret;
    const bobSecret = (await enrol((await session('sealed-bob')).accessToken)).secret;

    // A database reader sees no secret: only the key's id and AES-GCM ciphertext.
    const aliceStored = await storedOf(alice);
    expect(aliceStored).toMatch(/^v1:k1:[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+$/);
    expect(aliceStored).not.toContain(aliceSecret);
    expect(await secondStep('sealed-alice', codeOf(aliceSecret, 1))).toBe(200);

    // Alice's sealed secret copied into Bob's row does not open there: her codes do not log Bob in.
    await gw.query('UPDATE dispatch.user_mfa SET totp_secret = $2 WHERE user_id = $1', [
      bob,
      aliceStored,
    ]);
    expect(await secondStep('sealed-bob', codeOf(aliceSecret, -1))).toBe(401);
    expect(await secondStep('sealed-bob', codeOf(bobSecret, -1))).toBe(401);

    // A secret stored before sealing (base32) still works, and the boot pass seals it in place.
    await gw.query('UPDATE dispatch.user_mfa SET totp_secret = $2 WHERE user_id = $1', [
      bob,
      bobSecret,
    ]);
    expect(await secondStep('sealed-bob', codeOf(bobSecret, 1))).toBe(200);
    await gw.app.get(TotpSecrets).onApplicationBootstrap();
    const bobStored = await storedOf(bob);
    expect(bobStored).toMatch(/^v1:k1:/);
    expect(bobStored).not.toContain(bobSecret);
    expect(await storedOf(alice)).toBe(aliceStored);
    // Each time step is accepted once: forget the steps used above to log in once more.
    await gw.query('UPDATE dispatch.user_mfa SET last_step = 0 WHERE user_id = $1', [bob]);
    expect(await secondStep('sealed-bob', codeOf(bobSecret))).toBe(200);
  });

  it('forces the roles the agency names to enrol; the admin’s reset ends the sessions', async () => {
    const id = await gw.createUser(admin, {
      username: 'mfa-supervisor',
      password: PASSWORD,
      roles: ['supervisor'],
    });
    const before = await session('mfa-supervisor');
    await setPolicy(['supervisor']);

    // Existing sessions learn the policy at their next refresh.
    const refreshed = await gw.send<SessionTokens>('POST', '/v1/auth/refresh', {
      body: { refreshToken: before.refreshToken },
    });
    expect(claimsOf(refreshed.body.accessToken)).toMatchObject({ mfaPending: true });
    const pending = await session('mfa-supervisor');
    expect(claimsOf(pending.accessToken)).toMatchObject({ amr: ['pwd'], mfaPending: true });
    const blocked = await gw.send('GET', '/v1/incidents', { token: pending.accessToken });
    expect(blocked.status).toBe(403);
    expect(blocked.body).toMatchObject({ code: 'mfa_enrolment_required' });
    expect((await gw.send('GET', '/v1/me', { token: pending.accessToken })).status).toBe(200);
    const mfaStatus = await gw.send('GET', '/v1/me/mfa', { token: pending.accessToken });
    expect(mfaStatus.body).toMatchObject({ totp: false, required: true });

    const { secret } = await enrol(pending.accessToken);
    // The session that enrolled has proved the code: its next token works everywhere.
    const upgraded = await gw.send<SessionTokens>('POST', '/v1/auth/refresh', {
      body: { refreshToken: pending.refreshToken },
    });
    expect(upgraded.status).toBe(200);
    const upgradedClaims = claimsOf(upgraded.body.accessToken);
    expect(upgradedClaims).toMatchObject({ amr: ['pwd', 'otp'] });
    expect(upgradedClaims).not.toHaveProperty('mfaPending');
    expect(
      (await gw.send('GET', '/v1/incidents', { token: upgraded.body.accessToken })).status,
    ).toBe(200);
    expect((await login('mfa-supervisor')).body).toMatchObject({ mfaRequired: true });
    expect(secret).toBeTruthy();

    // Lost device: the admin resets; the sessions end and the next login must enrol again.
    const reset = await gw.send('DELETE', `/v1/users/${id}/mfa`, { token: admin });
    expect(reset.status).toBe(204);
    expect((await gw.send('GET', '/v1/me', { token: upgraded.body.accessToken })).status).toBe(401);
    const afterReset = await session('mfa-supervisor');
    expect(claimsOf(afterReset.accessToken)).toMatchObject({ mfaPending: true });
    expect(await gw.auditEntries()).toContainEqual(
      expect.objectContaining({ action: 'auth.mfa_reset', outcome: 'success' }),
    );
    expect(await gw.revocationEvents()).toContainEqual(
      expect.objectContaining({ data: expect.objectContaining({ userId: id, reason: 'admin' }) }),
    );
    await setPolicy([]);
  });

  it('refuses refresh after 30 idle minutes; activity keeps the session alive; devices may differ', async () => {
    await gw.createUser(admin, { username: 'idle-dispatcher', password: PASSWORD });
    await gw.createUser(admin, {
      username: 'idle-officer',
      password: PASSWORD,
      roles: ['officer'],
    });
    const console1 = await session('idle-dispatcher');
    const device = await session('idle-officer');
    const stored = await gw.query<{ id: string; idle_timeout_seconds: number }>(
      `SELECT id, idle_timeout_seconds FROM dispatch.sessions WHERE id = ANY ($1::uuid[])`,
      [[console1.sessionId, device.sessionId]],
    );
    expect(Object.fromEntries(stored.map((row) => [row.id, row.idle_timeout_seconds]))).toEqual({
      [console1.sessionId]: 1800,
      [device.sessionId]: 28800,
    });

    const idle = (sessionId: string, minutes: number) =>
      gw.query(
        `UPDATE dispatch.sessions SET last_used_at = now() - make_interval(mins => $2)
         WHERE id = $1`,
        [sessionId, minutes],
      );
    // 29 minutes idle: still alive, and the refresh counts as activity.
    await idle(console1.sessionId, 29);
    const kept = await gw.send<SessionTokens>('POST', '/v1/auth/refresh', {
      body: { refreshToken: console1.refreshToken },
    });
    expect(kept.status).toBe(200);
    const touched = await gw.query<{ idle_s: number }>(
      `SELECT extract(epoch FROM now() - last_used_at) AS idle_s FROM dispatch.sessions WHERE id = $1`,
      [console1.sessionId],
    );
    expect(Number(touched[0]?.idle_s)).toBeLessThan(60);

    await idle(console1.sessionId, 31);
    const expired = await gw.send('POST', '/v1/auth/refresh', {
      body: { refreshToken: kept.body.refreshToken },
    });
    expect(expired.status).toBe(401);
    expect(expired.body).toMatchObject({ code: 'session_idle' });
    // The officer's device may stay idle through a shift (AUTH_IDLE_TIMEOUT_BY_ROLE).
    await idle(device.sessionId, 31);
    const deviceRefresh = await gw.send('POST', '/v1/auth/refresh', {
      body: { refreshToken: device.refreshToken },
    });
    expect(deviceRefresh.status).toBe(200);
    expect(await gw.auditEntries()).toContainEqual(
      expect.objectContaining({
        action: AuditActions.TokenRefreshed,
        outcome: 'denied',
        reason: 'session idle',
      }),
    );
  });

  it('throttles one source guessing an account without locking the user out elsewhere', async () => {
    const id = await gw.createUser(admin, { username: 'target', password: PASSWORD });
    const live = await session('target');
    for (let attempt = 0; attempt < 4; attempt += 1) {
      const failed = await login('target', `wrong password ${attempt}`, '203.0.113.7');
      expect(failed.status).toBe(401);
    }
    // The attacker's address now waits, even with the right password...
    const throttled = await login('target', PASSWORD, '203.0.113.7');
    expect(throttled.status).toBe(429);
    expect(throttled.body).toMatchObject({ code: 'login_throttled' });
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    // ...while the dispatcher at their console logs in, and their session lives on.
    expect((await login('target', PASSWORD, '198.51.100.20')).status).toBe(200);
    expect((await gw.send('GET', '/v1/me', { token: live.accessToken })).status).toBe(200);
    const user = await gw.send('GET', `/v1/users/${id}`, { token: admin });
    expect(user.body).toMatchObject({ status: 'active' });

    // The lock is temporary: it expires by itself.
    const deadline = Date.now() + 20_000;
    let status = 429;
    while (status === 429 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      status = (await login('target', PASSWORD, '203.0.113.7')).status;
    }
    expect(status).toBe(200);

    // The audit trail names the forwarded client address (the loopback is a trusted proxy).
    const audit = await gw.auditEntries();
    expect(audit).toContainEqual(
      expect.objectContaining({
        action: AuditActions.LoginFailed,
        object: { type: 'user', id },
        source: expect.objectContaining({ ip: '203.0.113.7' }),
      }),
    );
    expect(audit).toContainEqual(
      expect.objectContaining({
        action: AuditActions.AccountLocked,
        details: expect.objectContaining({ scope: 'pair' }),
      }),
    );
  });

  it('throttles guesses at a platform operator’s password, known name or not', async () => {
    const operatorLogin = (username: string, password: string, ip: string) =>
      gw.send<{ accessToken?: string }>('POST', '/v1/platform/auth/login', {
        body: { username, password },
        headers: PROXY_FOR(ip),
      });
    for (let attempt = 0; attempt < 4; attempt += 1) {
      expect(
        (await operatorLogin(OPERATOR.username, `wrong ${attempt}`, '203.0.113.9')).status,
      ).toBe(401);
    }
    // The guessing address waits, even with the right password...
    const throttled = await operatorLogin(OPERATOR.username, OPERATOR.password, '203.0.113.9');
    expect(throttled.status).toBe(429);
    expect(throttled.body).toMatchObject({ code: 'login_throttled' });
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    // ...while the operator at their own desk gets in.
    const own = await operatorLogin(OPERATOR.username, OPERATOR.password, '198.51.100.40');
    expect(own.status).toBe(200);
    expect(own.body.accessToken).toEqual(expect.any(String));

    // An unknown operator name answers the same way (no enumeration by 429 or its absence).
    const unknown: number[] = [];
    for (let attempt = 0; attempt < 5; attempt += 1) {
      unknown.push(
        (await operatorLogin('no-such-operator', 'whatever it is', '203.0.113.10')).status,
      );
    }
    expect(unknown).toEqual([401, 401, 401, 401, 429]);

    const platformAudit = (await gw.auditEntries()).filter(
      (entry) => entry.agencyId === '_platform',
    );
    expect(platformAudit).toContainEqual(
      expect.objectContaining({ action: AuditActions.AccountLocked, outcome: 'success' }),
    );
    expect(platformAudit).toContainEqual(
      expect.objectContaining({ action: AuditActions.LoginFailed, outcome: 'denied' }),
    );
  });

  it('locks an account attacked from many sources for a while; an admin can unlock it', async () => {
    const id = await gw.createUser(admin, { username: 'besieged', password: PASSWORD });
    for (let attempt = 0; attempt < 7; attempt += 1) {
      await login('besieged', 'wrong password!!', `192.0.2.${attempt + 1}`);
    }
    const locked = await login('besieged', PASSWORD, '198.51.100.30');
    expect(locked.status).toBe(429);
    const audit = await gw.auditEntries();
    expect(audit).toContainEqual(
      expect.objectContaining({
        action: AuditActions.AccountLocked,
        object: { type: 'user', id },
        details: expect.objectContaining({ scope: 'account' }),
      }),
    );
    const unlocked = await gw.send('POST', `/v1/users/${id}/unlock`, { token: admin });
    expect(unlocked.status).toBe(200);
    expect((await login('besieged', PASSWORD, '198.51.100.30')).status).toBe(200);
  });

  it('lists the caller’s sessions and ends one; an admin ends all of a user’s', async () => {
    const id = await gw.createUser(admin, { username: 'two-consoles', password: PASSWORD });
    const mine = await session('two-consoles');
    const other = await session('two-consoles');
    const listed = await gw.send<SessionList>('GET', '/v1/me/sessions', {
      token: mine.accessToken,
    });
    expect(listed.status).toBe(200);
    expect(listed.body.items).toHaveLength(2);
    expect(listed.body.items.find((item) => item.current)?.id).toBe(mine.sessionId);
    expect(listed.body.items[0]).toMatchObject({ ip: '198.51.100.1', amr: ['pwd'] });

    // Another user's session is not the caller's to end.
    const stranger = await gw.send('DELETE', `/v1/me/sessions/${other.sessionId}`, {
      token: admin,
    });
    expect(stranger.status).toBe(404);
    const ended = await gw.send('DELETE', `/v1/me/sessions/${other.sessionId}`, {
      token: mine.accessToken,
    });
    expect(ended.status).toBe(204);
    expect((await gw.send('GET', '/v1/me', { token: other.accessToken })).status).toBe(401);
    expect((await gw.send('GET', '/v1/me', { token: mine.accessToken })).status).toBe(200);

    const all = await gw.send('DELETE', `/v1/users/${id}/sessions`, { token: admin });
    expect(all.status).toBe(204);
    expect((await gw.send('GET', '/v1/me', { token: mine.accessToken })).status).toBe(401);
    // Only admins end another user's sessions.
    const other2 = await session('two-consoles');
    const refused = await gw.send('DELETE', `/v1/users/${id}/sessions`, {
      token: other2.accessToken,
    });
    expect(refused.status).toBe(403);
    expect(await gw.revocationEvents()).toContainEqual(
      expect.objectContaining({ data: expect.objectContaining({ userId: id, reason: 'admin' }) }),
    );
  });
});
