import type { Pool, PoolClient } from 'pg';
import { isRetryableTxError, runTransaction } from './database';

/** A pool of one fake client recording its statements and how it was released. */
function fakePool(options: { failRollback?: boolean } = {}) {
  const statements: string[] = [];
  const releases: unknown[] = [];
  const client = {
    query: jest.fn(async (sql: string) => {
      statements.push(sql);
      if (sql === 'ROLLBACK' && options.failRollback) {
        throw new Error('connection lost');
      }
      return { rows: [], rowCount: 0 };
    }),
    release: jest.fn((broken?: unknown) => releases.push(broken)),
  };
  const pool = { connect: jest.fn(async () => client) };
  return {
    pool: pool as unknown as Pool,
    client: client as unknown as PoolClient,
    statements,
    releases,
  };
}

const sqlError = (code: string) => Object.assign(new Error(`sqlstate ${code}`), { code });

describe('runTransaction', () => {
  it('commits what the work returns, on one client', async () => {
    const { pool, client, statements, releases } = fakePool();
    const sut = await runTransaction(pool, async (tx) => {
      expect(tx).toBe(client);
      return 42;
    });
    expect(sut).toBe(42);
    expect(statements).toEqual(['BEGIN', 'COMMIT']);
    expect(releases).toEqual([false]);
  });

  it('opens with the given begin statement', async () => {
    const { pool, statements } = fakePool();
    await runTransaction(pool, async () => undefined, {
      begin: 'BEGIN; SET LOCAL plan_cache_mode = force_custom_plan',
    });
    expect(statements[0]).toBe('BEGIN; SET LOCAL plan_cache_mode = force_custom_plan');
  });

  it('runs the whole work again after a serialization failure or deadlock', async () => {
    const { pool, statements } = fakePool();
    const failures = [sqlError('40001'), sqlError('40P01')];
    let runs = 0;
    const sut = await runTransaction(pool, async () => {
      runs += 1;
      const failure = failures.shift();
      if (failure) {
        throw failure;
      }
      return 'done';
    });
    expect(sut).toBe('done');
    expect(runs).toBe(3);
    expect(statements).toEqual(['BEGIN', 'ROLLBACK', 'BEGIN', 'ROLLBACK', 'BEGIN', 'COMMIT']);
  });

  it('gives up after the attempts and rethrows other errors at once', async () => {
    const deadlocked = fakePool();
    await expect(
      runTransaction(deadlocked.pool, () => Promise.reject(sqlError('40P01')), { attempts: 2 }),
    ).rejects.toMatchObject({ code: '40P01' });
    expect(deadlocked.statements.filter((s) => s === 'BEGIN')).toHaveLength(2);

    const unique = fakePool();
    await expect(
      runTransaction(unique.pool, () => Promise.reject(sqlError('23505'))),
    ).rejects.toMatchObject({ code: '23505' });
    expect(unique.statements).toEqual(['BEGIN', 'ROLLBACK']);
  });

  it('discards a client whose rollback failed', async () => {
    const { pool, releases } = fakePool({ failRollback: true });
    await expect(runTransaction(pool, () => Promise.reject(new Error('boom')))).rejects.toThrow(
      'boom',
    );
    expect(releases).toEqual([true]);
  });
});

describe('isRetryableTxError', () => {
  it('knows 40001 and 40P01, also wrapped by TypeORM', () => {
    expect(isRetryableTxError(sqlError('40001'))).toBe(true);
    expect(isRetryableTxError({ driverError: { code: '40P01' } })).toBe(true);
    expect(isRetryableTxError(sqlError('23505'))).toBe(false);
    expect(isRetryableTxError(undefined)).toBe(false);
  });
});
