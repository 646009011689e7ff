import { AUDIT_OUTBOX_STREAM } from '@gad/audit';
import { AuditActions, type AuditEntry } from '@gad/contracts';
import { createTestDatabase, type TestDatabase } from '@gad/testing';
import { Client } from 'pg';
import { createAdminCli } from '../src/identity/create-admin.cli';

process.env['LOG_LEVEL'] ??= 'fatal';

/**
 * `npm run admin:create` (no Redis configured): the first admin commits with its audit entry, an
 * outbox row of `queue:audit` the running gateways relay (docs/adr/0021); a second run creates
 * nothing and records nothing.
 */
describe('admin:create CLI', () => {
  let db: TestDatabase;
  let pg: Client;
  const saved = { ...process.env };

  async function run(...argv: string[]): Promise<{ code: number; out: string }> {
    const lines: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const error = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      return { code: await createAdminCli(argv), out: lines.join('') };
    } finally {
      write.mockRestore();
      error.mockRestore();
    }
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    process.env['DATABASE_URL'] = db.url;
    process.env['ADMIN_PASSWORD'] = 'first admin password';
    delete process.env['REDIS_URL'];
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  });

  afterAll(async () => {
    process.env = saved;
    await pg?.end();
    await db?.drop();
  });

  const args = [
    '--agency-id',
    'agency-cli',
    '--agency-name',
    'CLI Agency',
    '--username',
    'Chief',
    '--email',
    'chief@agency.test',
  ];

  async function entries(): Promise<Array<{ entry: AuditEntry; xmin: string }>> {
    const { rows } = await pg.query<{ entry: AuditEntry; xmin: string }>(
      `SELECT envelope AS entry, xmin::text AS xmin FROM dispatch.outbox WHERE stream = $1`,
      [AUDIT_OUTBOX_STREAM],
    );
    return rows;
  }

  it('commits the first admin with its entry, and a second run records nothing', async () => {
    const created = await run(...args);
    expect(created.code).toBe(0);
    const { created: userId } = JSON.parse(created.out.trim()) as { created: string };

    const rows = await entries();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.entry).toMatchObject({
      agencyId: 'agency-cli',
      service: 'api-gateway',
      actor: { kind: 'system' },
      action: AuditActions.Created,
      outcome: 'success',
      object: { type: 'user', id: userId },
      changes: { after: { id: userId, username: 'chief', roles: ['admin'] } },
    });
    expect(rows[0]?.entry.actor.id).toMatch(/^admin-create:/);
    // In the admin's own transaction.
    const { rows: user } = await pg.query<{ xmin: string }>(
      `SELECT xmin::text AS xmin FROM dispatch.users WHERE id = $1`,
      [userId],
    );
    expect(user[0]?.xmin).toBe(rows[0]?.xmin);

    expect((await run(...args)).code).toBe(1);
    expect(await entries()).toHaveLength(1);
  });
});
