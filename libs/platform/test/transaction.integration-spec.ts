import { createTestDatabase, type TestDatabase } from '@gad/testing';
import { Pool, type PoolClient } from 'pg';
import { commitWith, runTransaction } from '@gad/platform';

// runTransaction on real PostgreSQL. It sends its BEGIN in the message of the transaction's first
// statement (docs/adr/0042): whatever form that statement takes, it must run inside the
// transaction and return exactly what it returns when bound as usual.
const TYPED = {
  name: 'platform_typed_roundtrip_v1',
  text: `INSERT INTO things (id, label, tags, detail, at, amount, flag, note)
         VALUES ($1::uuid, $2, $3::text[], $4::jsonb, $5::timestamptz, $6::float8, $7::bool, $8)
         RETURNING *`,
};

let database: TestDatabase;
let pool: Pool;

const awkward = [
  `it's "quoted" \\ back\\slash`,
  '$$ dollar $gad$ quotes',
  'ñandú 🚓 \u2028',
  '',
  'NULL',
  // Past the size sent as literals: bound after a BEGIN of its own.
  `long ' \\ ${'x'.repeat(20_000)}`,
];

function row(id: string, label: string) {
  return [
    id,
    label,
    ['a,b', '{braces}', null, `it's`, 'back\\slash'],
    { nested: { label, list: [1, 'two', null] } },
    new Date('2026-12-07T06:30:00.123Z'),
    -3.70379,
    true,
    null,
  ];
}

async function count(): Promise<number> {
  const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM things');
  return rows[0]?.n ?? 0;
}

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new Pool({ connectionString: database.url, max: 1 });
  pool.on('error', () => undefined);
  await pool.query(`CREATE TABLE things (
    id uuid PRIMARY KEY, label text NOT NULL, tags text[], detail jsonb, at timestamptz,
    amount float8, flag bool, note text)`);
});

beforeEach(() => pool.query('TRUNCATE things'));

afterAll(async () => {
  await pool.end();
  await database.drop();
});

describe('runTransaction with the BEGIN in the first statement’s message (real PostgreSQL)', () => {
  it('a named first statement returns what the same statement bound as usual returns', async () => {
    const labels = awkward;
    const folded: unknown[] = [];
    const bound: unknown[] = [];
    // The connection's first run of the statement is bound as usual and prepares it for the
    // next transactions (executeText).
    await runTransaction(pool, async (client) => {
      await client.query({ ...TYPED, values: row('00000000-0000-4000-8000-0000000000ff', 'warm') });
    });
    await pool.query('TRUNCATE things');
    for (const [index, label] of labels.entries()) {
      await runTransaction(pool, async (client) => {
        // First statement: sent with the BEGIN. Second: bound as node-postgres binds it.
        const first = await client.query({
          ...TYPED,
          values: row(`00000000-0000-4000-8000-00000000000${index}`, label),
        });
        const second = await client.query({
          ...TYPED,
          values: row(`00000000-0000-4000-8000-00000000001${index}`, label),
        });
        folded.push({ ...first.rows[0], id: undefined });
        bound.push({ ...second.rows[0], id: undefined });
        expect(first.rowCount).toBe(1);
        expect(first.command).toBe('INSERT');
      });
    }
    expect(folded).toEqual(bound);
    // The first statements went as EXECUTE of the connection's PREPARE (all but the value too
    // long for a literal), not bound: the pool's one connection ran it that many times.
    const { rows: runs } = await pool.query<{ n: number }>(
      `SELECT (generic_plans + custom_plans)::int AS n FROM pg_prepared_statements
       WHERE name LIKE 'gad_tx_%' AND statement LIKE '%INSERT INTO things%'`,
    );
    expect(runs[0]?.n).toBe(labels.length - 1);
    expect((folded[0] as { label: string }).label).toBe(labels[0]);
    expect(await count()).toBe(labels.length * 2);
  });

  it('a failing first statement rolls back and leaves the connection usable', async () => {
    await expect(
      runTransaction(pool, async (client) => {
        await client.query({ ...TYPED, values: row('not-a-uuid', 'x') });
      }),
    ).rejects.toThrow(/uuid/);
    // The one pooled connection runs the next transaction normally (no transaction left open).
    await runTransaction(pool, async (client) => {
      await client.query({ ...TYPED, values: row('00000000-0000-4000-8000-000000000100', 'y') });
    });
    expect(await count()).toBe(1);
  });

  it('a throw after the first statement rolls it back', async () => {
    await expect(
      runTransaction(pool, async (client) => {
        await client.query({ ...TYPED, values: row('00000000-0000-4000-8000-000000000200', 'z') });
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await count()).toBe(0);
  });

  it('statements issued together, in any form, all run inside the transaction, in order', async () => {
    await expect(
      runTransaction(pool, async (client: PoolClient) => {
        await Promise.all([
          client.query({ ...TYPED, values: row('00000000-0000-4000-8000-000000000300', 'p') }),
          client.query('INSERT INTO things (id, label) VALUES ($1, $2)', [
            '00000000-0000-4000-8000-000000000301',
            'unnamed',
          ]),
          client.query("INSERT INTO things (id, label) VALUES (gen_random_uuid(), 'plain')"),
        ]);
        const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM things');
        expect(rows[0]?.n).toBe(3);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await count()).toBe(0);
  });

  it('an unnamed first statement with values, and settings in the BEGIN, still apply', async () => {
    const timeout = await runTransaction(
      pool,
      async (client) => {
        await client.query('INSERT INTO things (id, label) VALUES ($1, $2)', [
          '00000000-0000-4000-8000-000000000400',
          'unnamed first',
        ]);
        const { rows } = await client.query<{ t: string }>(
          "SELECT current_setting('statement_timeout') AS t",
        );
        return rows[0]?.t;
      },
      { begin: 'BEGIN; SET LOCAL statement_timeout = 1234' },
    );
    expect(timeout).toBe('1234ms');
    expect(await count()).toBe(1);
  });

  it('commitWith as the only statement opens, writes and commits in one message', async () => {
    await runTransaction(pool, async (client) => {
      await commitWith(client, [
        "INSERT INTO things (id, label) VALUES ('00000000-0000-4000-8000-000000000500', 'only')",
      ]);
    });
    expect(await count()).toBe(1);
    // The connection is outside any transaction afterwards.
    const { rows } = await pool.query<{ open: boolean }>(
      'SELECT now() <> statement_timestamp() AS open',
    );
    expect(rows[0]?.open).toBe(false);
  });

  it('a transaction that runs no statement sends nothing and commits nothing', async () => {
    await expect(runTransaction(pool, async () => 'nothing')).resolves.toBe('nothing');
    expect(await count()).toBe(0);
  });

  it('runs the whole work again after a serialization failure or deadlock, keeping only the last', async () => {
    const failures = ['40001', '40P01'];
    let runs = 0;
    const result = await runTransaction(pool, async (client) => {
      runs += 1;
      await client.query({
        ...TYPED,
        values: row(`00000000-0000-4000-8000-00000000060${runs}`, `run ${runs}`),
      });
      const code = failures.shift();
      if (code) {
        throw Object.assign(new Error(`sqlstate ${code}`), { code });
      }
      return 'done';
    });
    expect(result).toBe('done');
    expect(runs).toBe(3);
    const { rows } = await pool.query<{ label: string }>('SELECT label FROM things');
    expect(rows.map((r) => r.label)).toEqual(['run 3']);
  });

  it('gives up after the attempts, and rethrows other errors at once', async () => {
    let runs = 0;
    await expect(
      runTransaction(
        pool,
        async () => {
          runs += 1;
          throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
        },
        { attempts: 2 },
      ),
    ).rejects.toMatchObject({ code: '40P01' });
    expect(runs).toBe(2);
    runs = 0;
    await expect(
      runTransaction(pool, async (client) => {
        runs += 1;
        await client.query({ ...TYPED, values: row('00000000-0000-4000-8000-000000000700', 'a') });
        await client.query({ ...TYPED, values: row('00000000-0000-4000-8000-000000000700', 'b') });
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(runs).toBe(1);
    expect(await count()).toBe(0);
  });

  it('discards a connection whose rollback failed; the pool serves the next transaction', async () => {
    await expect(
      runTransaction(pool, async (client) => {
        await client.query({ ...TYPED, values: row('00000000-0000-4000-8000-000000000800', 'k') });
        // The connection dies inside the transaction: neither the work nor its ROLLBACK can go on.
        // (pg-pool listens for a lost connection only on idle clients: without runTransaction's
        // own listener this was an unhandled 'error' event, which ends the process.)
        const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        const killer = new Pool({ connectionString: database.url, max: 1 });
        await killer.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
        await killer.end();
        await client.query('SELECT 1');
      }),
    ).rejects.toThrow();
    await runTransaction(pool, async (client) => {
      await client.query({ ...TYPED, values: row('00000000-0000-4000-8000-000000000801', 'l') });
    });
    expect(await count()).toBe(1);
  });
});
