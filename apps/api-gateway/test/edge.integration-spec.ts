import type { Client } from 'pg';
import { Client as PgClient } from 'pg';
import { problemSchema, type User } from '@gad/contracts';
import { waitFor } from '@gad/testing';
import { ADMIN, IdentityTestApp, type Reply } from './identity-test-app';

function expectProblem(reply: Reply, status: number, code: string): void {
  expect({ status: reply.status, code: reply.body['code'] }).toEqual({ status, code });
  expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(() => problemSchema.parse(reply.body)).not.toThrow();
}

/** A second connection that holds locks while the app's requests wait on them. */
async function locker(gw: IdentityTestApp): Promise<Client> {
  const client = new PgClient({ connectionString: gw.db.url });
  await client.connect();
  await client.query('BEGIN');
  return client;
}

async function waitForBlockedQueries(gw: IdentityTestApp, count: number): Promise<void> {
  await waitFor(
    async () => {
      const rows = await gw.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      return Number(rows[0]?.n) >= count;
    },
    { description: `${count} request(s) waiting on the held lock` },
  );
}

describe('api-gateway rate limits', () => {
  let gw: IdentityTestApp;

  beforeAll(async () => {
    gw = await IdentityTestApp.start({
      RATE_LIMIT_USER_POINTS: '3',
      RATE_LIMIT_IP_POINTS: '12',
      RATE_LIMIT_WINDOW_SECONDS: '60',
    });
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
  });

  it('limits each user (429 + Retry-After problem+json) without affecting other users', async () => {
    const token = await gw.devToken('agency-rl', ['dispatcher'], 'busy-user');
    for (let i = 0; i < 3; i += 1) {
      expect((await gw.send('GET', '/v1/agency', { token })).status).toBe(404);
    }
    const limited = await gw.send('GET', '/v1/agency', { token });
    expectProblem(limited, 429, 'rate_limited');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);

    const other = await gw.devToken('agency-rl', ['dispatcher'], 'calm-user');
    expect((await gw.send('GET', '/v1/agency', { token: other })).status).toBe(404);
  });

  it('limits each client IP for anonymous requests and failed tokens, in Redis, never its signed-in users', async () => {
    const colleague = await gw.devToken('agency-rl', ['dispatcher'], 'colleague');
    // The authenticated requests above were limited per user only: anonymous ones (requests
    // without a token here; failed logins meet the login throttle first, docs/adr/0023) spend the
    // address's bucket until it refuses.
    const statuses: number[] = [];
    for (let i = 0; i < 20 && statuses.at(-1) !== 429; i += 1) {
      statuses.push((await gw.send('GET', '/v1/me')).status);
    }
    expect(statuses.at(-1)).toBe(429);
    expect(new Set(statuses.slice(0, -1))).toEqual(new Set([401]));
    expectProblem(await gw.send('GET', '/v1/me'), 429, 'rate_limited');
    // A made-up bearer token does not skip the address's limit.
    const junk = await gw.send('GET', '/v1/me', { token: 'not-a-token' });
    expectProblem(junk, 429, 'rate_limited');
    expect(Number(junk.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // A signed-in user behind the same address (a dispatch centre behind one NAT) is still served:
    // one client hammering from the address spends its own bucket, not its colleagues'.
    expect((await gw.send('GET', '/v1/agency', { token: colleague })).status).toBe(404);
    // The counters live in Redis under the deployment prefix, shared by every instance.
    const keys = await gw.redis.keys(`${gw.config.REDIS_KEY_PREFIX}rl:ip*`);
    expect(keys.length).toBeGreaterThan(0);
    // Probes are never limited.
    expect((await gw.send('GET', '/health/live')).status).toBe(200);
  });
});

describe('api-gateway load shedding and idempotency', () => {
  let gw: IdentityTestApp;
  let admin: string;

  beforeAll(async () => {
    gw = await IdentityTestApp.start({ MAX_IN_FLIGHT_REQUESTS: '2' });
    admin = await gw.adminToken();
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
  });

  it('sheds load with 503 + Retry-After once the in-flight limit is reached', async () => {
    const id = await gw.createUser(admin, { username: 'contended' });
    const lock = await locker(gw);
    await lock.query(`SELECT 1 FROM dispatch.users WHERE id = $1 FOR UPDATE`, [id]);
    const held = [
      gw.send('PATCH', `/v1/users/${id}`, { token: admin, body: { locale: 'en' } }),
      gw.send('PATCH', `/v1/users/${id}`, { token: admin, body: { displayName: 'C' } }),
    ];
    try {
      await waitForBlockedQueries(gw, 2);
      const shed = await gw.send('GET', '/v1/me', { token: admin });
      expectProblem(shed, 503, 'overloaded');
      expect(shed.headers.get('retry-after')).toBe('1');
      expect((await gw.send('GET', '/health/live')).status).toBe(200);
    } finally {
      await lock.query('COMMIT');
      await lock.end();
    }
    expect((await Promise.all(held)).map((reply) => reply.status)).toEqual([200, 200]);
    expect((await gw.send('GET', '/v1/me', { token: admin })).status).toBe(200);
  });

  const newUser = (username: string) => ({
    username,
    email: `${username}@example.test`,
    roles: ['officer'],
    password: 'idempotent password',
  });

  it('replays the first response for the same key and body', async () => {
    const headers = { 'idempotency-key': 'create-ana-1' };
    const first = await gw.send<User>('POST', '/v1/users', {
      token: admin,
      headers,
      body: newUser('ana'),
    });
    expect(first.status).toBe(201);
    const again = await gw.send<User>('POST', '/v1/users', {
      token: admin,
      headers,
      // Same body, other key order.
      body: {
        password: 'idempotent password',
        roles: ['officer'],
        email: 'ana@example.test',
        username: 'ana',
      },
    });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const rows = await gw.query(`SELECT id FROM dispatch.users WHERE username = 'ana'`);
    expect(rows).toHaveLength(1);

    const changed = await gw.send('POST', '/v1/users', {
      token: admin,
      headers,
      body: newUser('ana2'),
    });
    expectProblem(changed, 422, 'idempotency_key_reused');
    expect(await gw.query(`SELECT id FROM dispatch.users WHERE username = 'ana2'`)).toHaveLength(0);
  });

  it('answers 409 while the first request with the key is still running', async () => {
    const lock = await locker(gw);
    // An uncommitted row with the same username: the app's INSERT waits on the unique index.
    await lock.query(
      `INSERT INTO dispatch.users (id, agency_id, username, email, roles, password_hash,
         password_changed_at, last_seen_at, created_at, updated_at)
       VALUES ('0190f0f0-0000-7000-8000-0000000000aa', $1, 'bea', 'bea-lock@example.test',
         '{officer}', 'x', now(), now(), now(), now())`,
      [ADMIN.agencyId],
    );
    const headers = { 'idempotency-key': 'create-bea-1' };
    const first = gw.send<User>('POST', '/v1/users', {
      token: admin,
      headers,
      body: newUser('bea'),
    });
    try {
      await waitForBlockedQueries(gw, 1);
      const second = await gw.send('POST', '/v1/users', {
        token: admin,
        headers,
        body: newUser('bea'),
      });
      expectProblem(second, 409, 'idempotency_in_progress');
    } finally {
      await lock.query('ROLLBACK');
      await lock.end();
    }
    const done = await first;
    expect(done.status).toBe(201);
    const replay = await gw.send<User>('POST', '/v1/users', {
      token: admin,
      headers,
      body: newUser('bea'),
    });
    expect(replay.status).toBe(201);
    expect(replay.body.id).toBe(done.body.id);
  });

  it('frees the key of a failed request and refuses malformed keys', async () => {
    const headers = { 'idempotency-key': 'create-dup-1' };
    await gw.createUser(admin, { username: 'dup' });
    const failed = await gw.send('POST', '/v1/users', {
      token: admin,
      headers,
      body: newUser('dup'),
    });
    expectProblem(failed, 409, 'username_taken');
    // Not replayed as a success, and a corrected retry with the same key is no mismatch.
    const retried = await gw.send('POST', '/v1/users', {
      token: admin,
      headers,
      body: newUser('dup-2'),
    });
    expect(retried.status).toBe(201);

    const invalid = await gw.send('POST', '/v1/users', {
      token: admin,
      headers: { 'idempotency-key': 'with space' },
      body: newUser('spacey'),
    });
    expectProblem(invalid, 422, 'idempotency_key_invalid');
  });
});
