/**
 * The audit entry of a change commits with the change (docs/adr/0021): api-gateway in-process
 * against the real PostgreSQL, Redis and BullMQ queue.
 */
import { AUDIT_OUTBOX_STREAM } from '@gad/audit';
import { AuditActions, type User } from '@gad/contracts';
import { ADMIN, IdentityTestApp } from './identity-test-app';

describe('api-gateway audit outbox', () => {
  let gw: IdentityTestApp;
  let admin: string;

  beforeAll(async () => {
    gw = await IdentityTestApp.start();
    admin = await gw.adminToken();
  });

  afterAll(async () => {
    await gw?.close();
  });

  it('a role change is answered only with its entry committed, holding the old and the new roles', async () => {
    const id = await gw.createUser(admin, { username: 'promotee', password: 'promotee password' });
    const changed = await gw.send<User>('PUT', `/v1/users/${id}/roles`, {
      token: admin,
      body: { roles: ['dispatcher', 'supervisor'] },
    });
    expect(changed.status).toBe(200);

    // Already in the outbox when the response arrived: written in the transaction of the change.
    const rows = await gw.query<{ entry: Record<string, unknown> }>(
      `SELECT envelope AS entry FROM dispatch.outbox
        WHERE stream = $1 AND envelope->'object'->>'id' = $2 AND envelope->>'action' = $3`,
      [AUDIT_OUTBOX_STREAM, id, AuditActions.RolesChanged],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.entry).toMatchObject({
      outcome: 'success',
      changes: {
        before: { id, roles: ['dispatcher'] },
        after: { id, roles: ['dispatcher', 'supervisor'] },
      },
    });

    // Relayed to the audit queue once, with the same id.
    const queued = (await gw.auditEntries()).filter(
      (entry) => entry.action === AuditActions.RolesChanged && entry.object?.id === id,
    );
    expect(queued.map((entry) => entry.id)).toEqual([rows[0]?.entry['id']]);
  });

  it('a refused change leaves the data as it was and records the refusal', async () => {
    const me = await gw.send<User>('GET', '/v1/me', { token: admin });
    const demote = await gw.send('PUT', `/v1/users/${me.body.id}/roles`, {
      token: admin,
      body: { roles: ['dispatcher'] },
    });
    expect(demote.status).toBe(409);
    expect((await gw.send<User>('GET', '/v1/me', { token: admin })).body.roles).toContain('admin');
    expect(await gw.auditEntries()).toContainEqual(
      expect.objectContaining({
        action: AuditActions.RolesChanged,
        outcome: 'failed',
        object: { type: 'user', id: me.body.id },
      }),
    );
  });

  it('failed access without a valid token is audited before the 401 is answered', async () => {
    const refused = await gw.send('GET', '/v1/me', { token: 'not-a-token' });
    expect(refused.status).toBe(401);
    const rows = await gw.query<{ entry: Record<string, unknown> }>(
      `SELECT envelope AS entry FROM dispatch.outbox
        WHERE stream = $1 AND envelope->>'action' = $2 AND envelope->>'reason' = $3`,
      [AUDIT_OUTBOX_STREAM, AuditActions.PermissionDenied, 'not authenticated'],
    );
    expect(rows[0]?.entry).toMatchObject({
      outcome: 'denied',
      details: { method: 'GET', route: '/v1/me' },
    });
  });

  it('a logon (a route that records its own entries) is answered only with its entry in the outbox', async () => {
    const before = await gw.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM dispatch.outbox WHERE stream = $1 AND envelope->>'action' = $2`,
      [AUDIT_OUTBOX_STREAM, AuditActions.LoginSucceeded],
    );
    expect((await gw.login(ADMIN.username, ADMIN.password)).status).toBe(200);
    const after = await gw.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM dispatch.outbox WHERE stream = $1 AND envelope->>'action' = $2`,
      [AUDIT_OUTBOX_STREAM, AuditActions.LoginSucceeded],
    );
    expect(after[0]?.n).toBe((before[0]?.n ?? 0) + 1);
  });

  it('a configuration change (an incident type) commits its entry with the old and new values', async () => {
    const created = await gw.send('POST', '/v1/incident-types', {
      token: admin,
      body: { code: 'gas_leak', nameEs: 'Fuga', nameEn: 'Leak', defaultPriority: 'P2', plan: [] },
    });
    expect(created.status).toBe(201);
    const changed = await gw.send('PATCH', '/v1/incident-types/gas_leak', {
      token: admin,
      body: { defaultPriority: 'P1' },
    });
    expect(changed.status).toBe(200);
    const rows = await gw.query<{ entry: { changes?: Record<string, Record<string, unknown>> } }>(
      `SELECT envelope AS entry FROM dispatch.outbox
        WHERE stream = $1 AND envelope->'object'->>'id' = 'gas_leak'
          AND envelope->'details'->>'method' = 'PATCH'`,
      [AUDIT_OUTBOX_STREAM],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.entry.changes?.['before']).toMatchObject({ defaultPriority: 'P2' });
    expect(rows[0]?.entry.changes?.['after']).toMatchObject({ defaultPriority: 'P1' });
  });
  it('an agency rename commits its entry with the old and the new name', async () => {
    const before = await gw.send<{ id: string; name: string }>('GET', '/v1/agency', {
      token: admin,
    });
    const renamed = await gw.send<{ id: string; name: string }>('PATCH', '/v1/agency', {
      token: admin,
      body: { name: 'Renamed Agency' },
    });
    expect(renamed.status).toBe(200);
    const rows = await gw.query<{ entry: { changes?: Record<string, Record<string, unknown>> } }>(
      `SELECT envelope AS entry FROM dispatch.outbox
        WHERE stream = $1 AND envelope->'object'->>'type' = 'agency'
          AND envelope->'details'->>'route' = '/v1/agency'`,
      [AUDIT_OUTBOX_STREAM],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.entry.changes?.['before']).toMatchObject({ name: before.body.name });
    expect(rows[0]?.entry.changes?.['after']).toMatchObject({ name: 'Renamed Agency' });
  });
  it('the first admin from the bootstrap configuration committed with its entry', async () => {
    const me = await gw.send<User>('GET', '/v1/me', { token: admin });
    const rows = await gw.query<{ entry: Record<string, unknown> }>(
      `SELECT envelope AS entry FROM dispatch.outbox
        WHERE stream = $1 AND envelope->'object'->>'id' = $2 AND envelope->>'action' = $3`,
      [AUDIT_OUTBOX_STREAM, me.body.id, AuditActions.Created],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.entry).toMatchObject({
      actor: { kind: 'service', id: 'api-gateway' },
      reason: 'first admin from the bootstrap configuration',
    });
  });
});
