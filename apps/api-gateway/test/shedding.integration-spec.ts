import { connect } from 'node:net';
import { Client as PgClient } from 'pg';
import { problemSchema } from '@gad/contracts';
import { waitFor } from '@gad/testing';
import { IdentityTestApp, type Reply } from './identity-test-app';

/**
 * The adaptive concurrency limit (docs/adr/0024) when more requests arrive than one instance
 * admits: the excess is refused at once with 503 problem+json and Retry-After, nothing waits into
 * a deadline (no 504), and every admitted request is served. How the limit moves with latency is
 * specified by adaptive-limit.spec.ts; no timing is asserted here.
 */
describe('api-gateway sheds load before timing out', () => {
  let gw: IdentityTestApp;
  let admin: string;

  beforeAll(async () => {
    gw = await IdentityTestApp.start({
      CONCURRENCY_LIMIT_INITIAL: '8',
      CONCURRENCY_LIMIT_MIN: '4',
      RATE_LIMIT_USER_POINTS: '100000',
    });
    admin = await gw.adminToken();
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
  });

  it('refuses what is beyond the limit with 503 + Retry-After and serves what it admitted', async () => {
    const id = await gw.createUser(admin, { username: 'contended' });
    // Admitted requests wait on a row lock, so they stay in flight while the rest arrive.
    const lock = new PgClient({ connectionString: gw.db.url });
    await lock.connect();
    await lock.query('BEGIN');
    await lock.query('SELECT 1 FROM dispatch.users WHERE id = $1 FOR UPDATE', [id]);
    const replies: Reply[] = [];
    let all: Promise<Reply[]>;
    try {
      all = Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          gw
            .send('PATCH', `/v1/users/${id}`, { token: admin, body: { displayName: `C${i}` } })
            .then((reply) => {
              replies.push(reply);
              return reply;
            }),
        ),
      );
      await waitFor(() => replies.length >= 32, { description: 'the excess answered' });
      // Only refusals come back while the admitted requests are held.
      expect(replies.map((reply) => reply.status)).toEqual(Array(replies.length).fill(503));
    } finally {
      await lock.query('COMMIT');
      await lock.end();
    }
    const statuses = (await all).map((reply) => reply.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(8);
    expect(statuses.filter((status) => status === 503)).toHaveLength(32);
    for (const shed of replies.filter((reply) => reply.status === 503)) {
      expect(shed.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(problemSchema.parse(shed.body)).toMatchObject({ status: 503, code: 'overloaded' });
      expect(Number(shed.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      // Refused before Fastify, yet correlatable like every other answer.
      expect(shed.headers.get('x-request-id')).toBeTruthy();
    }
  });

  it('refuses a request with a body without reading it, and its connection serves the next one', async () => {
    const id = await gw.createUser(admin, { username: 'contended-body' });
    const lock = new PgClient({ connectionString: gw.db.url });
    await lock.connect();
    await lock.query('BEGIN');
    await lock.query('SELECT 1 FROM dispatch.users WHERE id = $1 FOR UPDATE', [id]);
    const held: Promise<Reply>[] = [];
    const socket = connect(Number(new URL(gw.baseUrl).port), '127.0.0.1');
    try {
      // Fill the limit with requests waiting on the row lock (the rest are refused at once).
      for (let i = 0; i < 40; i += 1) {
        held.push(
          gw.send('PATCH', `/v1/users/${id}`, { token: admin, body: { displayName: `B${i}` } }),
        );
      }
      const refusedFirst = await Promise.race(held);
      expect(refusedFirst.status).toBe(503);
      // One keep-alive connection: a PATCH with a body that the limit refuses, then a probe.
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      const body = JSON.stringify({ displayName: 'x'.repeat(2_000) });
      socket.write(
        `PATCH /v1/users/${id} HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ${admin}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      await waitFor(() => received.includes('\r\n\r\n{'), { description: 'the refusal' });
      socket.write('GET /health/live HTTP/1.1\r\nHost: gw\r\n\r\n');
      await waitFor(() => (received.match(/HTTP\/1\.1 \d{3}/g) ?? []).length >= 2, {
        description: 'the probe answered on the same connection',
      });
      const statuses = (received.match(/HTTP\/1\.1 (\d{3})/g) ?? []).map((line) => line.slice(9));
      expect(statuses).toEqual(['503', '200']);
      expect(received).toMatch(/retry-after: 1\r\n/i);
    } finally {
      socket.destroy();
      await lock.query('COMMIT');
      await lock.end();
    }
    const statuses = (await Promise.all(held)).map((reply) => reply.status);
    expect(statuses.every((status) => status === 200 || status === 503)).toBe(true);
  });

  it('serves a burst without any 504: each request is either answered or refused at once', async () => {
    const replies = await Promise.all(
      Array.from({ length: 150 }, () => gw.send('GET', '/v1/me', { token: admin })),
    );
    const statuses = new Set(replies.map((reply) => reply.status));
    expect([...statuses].every((status) => status === 200 || status === 503)).toBe(true);
    expect(statuses.has(200)).toBe(true);
  });

  it('keeps serving afterwards (the limit does not stay shut)', async () => {
    for (let i = 0; i < 20; i += 1) {
      expect((await gw.send('GET', '/v1/me', { token: admin })).status).toBe(200);
    }
    expect((await gw.send('GET', '/health/live')).status).toBe(200);
  });
});
