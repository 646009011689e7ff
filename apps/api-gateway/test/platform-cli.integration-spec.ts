import { AUDIT_OUTBOX_STREAM } from '@gad/audit';
import type { AuditEntry, CreatedAgencyAdmin, PlatformAgency } from '@gad/contracts';
import {
  createTestDatabase,
  deleteKeysWithPrefix,
  testStack,
  uniqueRedisPrefix,
  type TestDatabase,
} from '@gad/testing';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { platformCli } from '../src/agencies/platform.cli';

process.env['LOG_LEVEL'] ??= 'fatal';

/**
 * `npm run platform -- ...` (issue #18): the platform CLI against a real database and Redis, in a
 * database where admins already exist — agency created, admin created with a set-password token,
 * agency suspended (sessions revoked through the outbox) and reactivated, every action audited.
 */
describe('platform CLI', () => {
  let db: TestDatabase;
  let pg: Client;
  const prefix = uniqueRedisPrefix();
  const saved = { ...process.env };

  /** Runs the CLI; returns its exit code and the JSON it printed. */
  async function run<T>(...argv: string[]): Promise<{ code: number; out: T | undefined }> {
    const lines: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const error = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const code = await platformCli(argv);
      const last = lines.join('').trim().split('\n').pop();
      return { code, out: last ? (JSON.parse(last) as T) : undefined };
    } finally {
      write.mockRestore();
      error.mockRestore();
    }
  }

  /** Audit entries the CLI wrote into `dispatch.outbox` (stream `queue:audit`). */
  async function outboxEntries(): Promise<AuditEntry[]> {
    const { rows } = await pg.query<{ entry: AuditEntry }>(
      `SELECT envelope AS entry FROM dispatch.outbox WHERE stream = $1 ORDER BY id`,
      [AUDIT_OUTBOX_STREAM],
    );
    return rows.map((row) => row.entry);
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    process.env['DATABASE_URL'] = db.url;
    process.env['REDIS_URL'] = testStack.redisUrl;
    process.env['REDIS_KEY_PREFIX'] = prefix;
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  }, 60_000);

  afterAll(async () => {
    process.env = saved;
    await pg?.end();
    const redis = new Redis(testStack.redisUrl);
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
    await db?.drop();
  });

  it('creates agencies and admins although admins exist, suspends and reactivates', async () => {
    const first = await run<PlatformAgency>('agency:create', '--slug', 'agency-c', '--name', 'C');
    expect(first.code).toBe(0);
    expect(first.out).toMatchObject({ id: 'agency-c', status: 'active', settingsVersion: 1 });
    const adminC = await run<CreatedAgencyAdmin>(
      'admin:create',
      '--agency',
      'agency-c',
      '--username',
      'admin-c',
      '--email',
      'admin-c@example.test',
    );
    expect(adminC.code).toBe(0);
    expect(adminC.out?.user).toMatchObject({ agencyId: 'agency-c', roles: ['admin'] });
    expect(adminC.out?.setPasswordToken).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // An admin exists now: the old first-admin path would refuse; this one does not.
    const second = await run<CreatedAgencyAdmin>(
      'admin:create',
      '--agency',
      'agency-c',
      '--username',
      'admin-c2',
      '--email',
      'admin-c2@example.test',
    );
    expect(second.code).toBe(0);
    const d = await run<PlatformAgency>('agency:create', '--slug', 'agency-d', '--name', 'D');
    expect(d.code).toBe(0);

    expect((await run('agency:create', '--slug', 'agency-c', '--name', 'again')).code).toBe(1);
    expect(
      (
        await run(
          'admin:create',
          '--agency',
          'nowhere',
          '--username',
          'x-admin',
          '--email',
          'x@example.test',
        )
      ).code,
    ).toBe(1);
    expect((await run('agency:create', '--slug', 'Bad Slug!', '--name', 'x')).code).toBe(2);
    expect((await run('no-such-command')).code).toBe(2);

    const suspended = await run<PlatformAgency>(
      'agency:suspend',
      '--slug',
      'agency-c',
      '--reason',
      'unpaid',
    );
    expect(suspended.code).toBe(0);
    expect(suspended.out).toMatchObject({ status: 'suspended', statusReason: 'unpaid' });
    const revoked = await pg.query<{ agency: string; user: string }>(
      `SELECT envelope->>'agencyId' AS agency, envelope->'data'->>'userId' AS user
       FROM dispatch.outbox WHERE envelope->>'type' = 'user.sessions_revoked'`,
    );
    expect(revoked.rows.map((row) => row.user).sort()).toEqual(
      [adminC.out?.user.id, second.out?.user.id].sort(),
    );
    expect(revoked.rows.every((row) => row.agency === 'agency-c')).toBe(true);

    const reactivated = await run<PlatformAgency>('agency:reactivate', '--slug', 'agency-c');
    expect(reactivated.out).toMatchObject({ status: 'active', suspendedAt: null });

    const events = await pg.query(
      `SELECT 1 FROM dispatch.outbox WHERE envelope->>'type' = 'agency.settings_changed'`,
    );
    expect(events.rowCount).toBe(2);

    // Each action's entry was written in the action's transaction, into the outbox the running
    // gateways relay (docs/adr/0021).
    {
      const entries = await outboxEntries();
      const actions = entries.map((entry) => `${entry.agencyId} ${entry.action}`);
      expect(actions).toEqual(
        expect.arrayContaining([
          'agency-c agency.create',
          '_platform agency.create',
          'agency-c agency.admin_create',
          'agency-c agency.suspend',
          '_platform agency.suspend',
          'agency-c agency.reactivate',
        ]),
      );
      expect(entries.every((entry) => entry.actor.id.startsWith('platform-cli:'))).toBe(true);
    }
  });

  it('creates a platform operator with the password from the environment', async () => {
    process.env['PLATFORM_ADMIN_PASSWORD'] = 'a platform operator password';
    const created = await run<{ created: string }>('platform-admin:create', '--username', 'ops-2');
    expect(created.code).toBe(0);
    const again = await run('platform-admin:create', '--username', 'ops-2');
    expect(again.code).toBe(1);
    const rows = await pg.query('SELECT username FROM dispatch.platform_operators');
    expect(rows.rows).toEqual([{ username: 'ops-2' }]);
    // One entry, committed with the operator it describes; the refused second run wrote none.
    const entries = (await outboxEntries()).filter(
      (entry) => entry.object?.type === 'platform_operator',
    );
    expect(entries).toEqual([
      expect.objectContaining({
        agencyId: '_platform',
        action: 'object.create',
        object: { type: 'platform_operator', id: created.out?.created },
      }),
    ]);
  });
});
