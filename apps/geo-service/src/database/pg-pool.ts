import type { Pool, PoolClient, QueryResultRow } from 'pg';

/** The pg Pool under the DataSource (hot paths issue named, prepared statements on it). */
export { pgPoolOf } from '@gad/platform';

export interface NamedQuery {
  /** Prepared once per connection under this name. */
  name: string;
  text: string;
  values: unknown[];
}

/**
 * Runs `fn` in one transaction on one pooled client (commit on resolve, rollback on throw).
 * `begin` opens it: `BEGIN`, optionally followed by `SET LOCAL` settings in the same round trip.
 */
export async function inTransaction<T>(
  pool: Pool,
  fn: (client: PoolClient) => Promise<T>,
  begin = 'BEGIN',
): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query(begin);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}

export async function queryRows<R extends QueryResultRow>(
  executor: Pool | PoolClient,
  query: NamedQuery,
): Promise<R[]> {
  const result = await executor.query<R>(query);
  return result.rows;
}
