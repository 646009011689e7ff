import type { ResponseFigures } from '@gad/contracts';
import { Client } from 'pg';
import { DispatchTestApp, type Caller } from './dispatch-test-app';

/**
 * The response-time figures run with their own statement timeout (REPORTS_STATEMENT_TIMEOUT_MS),
 * not the service-wide DATABASE_STATEMENT_TIMEOUT_MS: a year of a large city's incidents takes
 * seconds to aggregate. The figures statement is made to wait on a lock held by another session
 * for longer than the service-wide timeout.
 */
describe('api-gateway response-time figures under their own statement timeout', () => {
  const agencyId = 'agency-reports-timeout';
  const range = `from=${encodeURIComponent('2026-01-01T00:00:00Z')}&to=${encodeURIComponent('2027-01-01T00:00:00Z')}`;
  let t: DispatchTestApp;
  let supervisor: Caller;

  afterEach(async () => {
    await t?.close();
  }, 60_000);

  /** Holds an ACCESS EXCLUSIVE lock on the summary table for `ms`, then lets go. */
  async function holdSummaryLock(ms: number): Promise<{ released: Promise<void> }> {
    const locker = new Client({ connectionString: t.db.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE dispatch.incident_response_times IN ACCESS EXCLUSIVE MODE');
    const released = (async () => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      await locker.query('ROLLBACK');
      await locker.end();
    })();
    return { released };
  }

  it('answers a report slower than DATABASE_STATEMENT_TIMEOUT_MS', async () => {
    t = await DispatchTestApp.start({
      DATABASE_STATEMENT_TIMEOUT_MS: '1000',
      REPORTS_STATEMENT_TIMEOUT_MS: '30000',
    });
    supervisor = await t.caller(agencyId, 'supervisor-1', ['supervisor']);
    const lock = await holdSummaryLock(2_500);
    const started = Date.now();
    const figures = await t.send<ResponseFigures>(
      supervisor,
      'GET',
      `/v1/reports/response-times?${range}`,
    );
    await lock.released;
    expect(figures.status).toBe(200);
    expect(figures.body.groups).toEqual([]);
    // It did wait for the lock (longer than the service-wide timeout) instead of failing.
    expect(Date.now() - started).toBeGreaterThan(1_000);
  }, 60_000);

  it('refuses a report past REPORTS_STATEMENT_TIMEOUT_MS with problem+json and keeps serving', async () => {
    t = await DispatchTestApp.start({ REPORTS_STATEMENT_TIMEOUT_MS: '500' });
    supervisor = await t.caller(agencyId, 'supervisor-1', ['supervisor']);
    const lock = await holdSummaryLock(2_000);
    const refused = await t.send(supervisor, 'GET', `/v1/reports/response-times?${range}`);
    await lock.released;
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ code: 'query_timeout', status: 503 });
    const again = await t.send<ResponseFigures>(
      supervisor,
      'GET',
      `/v1/reports/response-times?${range}`,
    );
    expect(again.status).toBe(200);
  }, 60_000);
});
