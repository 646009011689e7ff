import { createGeoHarness, type GeoHarness } from './geo-test-harness';
import { dayKey, partitionName } from '../src/retention/retention.repository';

const DAY = 86_400_000;

describe('position history partitions and retention (PostGIS)', () => {
  let h: GeoHarness;
  const start = new Date();

  beforeAll(async () => {
    h = await createGeoHarness({
      POSITION_RETENTION_DAYS: '5',
      POSITION_MAX_FIX_AGE_H: '24',
      POSITION_PARTITIONS_AHEAD_DAYS: '2',
    });
  });

  afterAll(async () => {
    await h.close();
  });

  async function partitions(): Promise<string[]> {
    const rows: Array<{ name: string }> = await h.dataSource.query(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = 'geo.positions'::regclass ORDER BY 1`,
    );
    return rows.map((row) => row.name);
  }

  async function historyCount(agencyId: string): Promise<number> {
    const rows: Array<{ n: number }> = await h.dataSource.query(
      `SELECT count(*)::int AS n FROM geo.positions WHERE agency_id = $1`,
      [agencyId],
    );
    return rows[0].n;
  }

  const daysFrom = (base: Date, offsets: number[]) =>
    offsets.map((offset) => partitionName(new Date(base.getTime() + offset * DAY)));

  it('creates daily partitions back as far as fixes are accepted and ahead', async () => {
    expect(await partitions()).toEqual(daysFrom(start, [-1, 0, 1, 2]));
    // A second pass (or another replica) changes nothing.
    expect(await h.retention.runOnce()).toEqual({ created: [], dropped: [], deleted: {} });
  });

  it('keeps history per agency retention and drops partitions past the longest one', async () => {
    await h.retention.setRetention({ agencyId: 'agency-long', positionRetentionDays: 10 });
    const t0 = new Date(start.getTime() - 20 * 3_600_000);
    for (const agencyId of ['agency-long', 'agency-default']) {
      const result = await h.positions.ingest(agencyId, [
        {
          unitId: 'u1',
          position: { type: 'Point', coordinates: [1, 1] },
          recordedAt: t0.toISOString(),
          seq: 1,
        },
      ]);
      expect(result.accepted).toBe(1);
    }

    // A week later: the default agency (5 days) loses its rows, the 10-day agency keeps them.
    h.clock.set(new Date(start.getTime() + 7 * DAY));
    const week = await h.retention.runOnce();
    expect(week?.dropped).toEqual([]);
    expect(week?.created).toEqual(
      [6, 7, 8, 9].map((offset) => dayKey(new Date(start.getTime() + offset * DAY))),
    );
    expect(await historyCount('agency-default')).toBe(0);
    expect(await historyCount('agency-long')).toBe(1);

    // Twelve days later: partitions older than 10 days are dropped as a whole.
    h.clock.set(new Date(start.getTime() + 12 * DAY));
    const later = await h.retention.runOnce();
    expect(later?.dropped).toEqual(expect.arrayContaining(daysFrom(start, [-1, 0])));
    expect(await historyCount('agency-long')).toBe(0);
    const names = await partitions();
    expect(names).toEqual(expect.arrayContaining(daysFrom(start, [11, 12, 13, 14])));
    expect(names).not.toContain(partitionName(new Date(start.getTime() - DAY)));
  });

  it('creates a missing partition when a batch needs one and retries', async () => {
    const future = new Date(start.getTime() + 40 * DAY);
    h.clock.set(future);
    expect(await partitions()).not.toContain(partitionName(future));
    const result = await h.positions.ingest('agency-long', [
      {
        unitId: 'u2',
        position: { type: 'Point', coordinates: [2, 2] },
        recordedAt: future.toISOString(),
        seq: 1,
      },
    ]);
    expect(result.accepted).toBe(1);
    expect(await partitions()).toContain(partitionName(future));
    h.clock.set(undefined);
  });
});
