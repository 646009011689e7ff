import type { PositionFix } from '@gad/contracts';
import { createGeoHarness, type GeoHarness } from './geo-test-harness';

const AGENCY = 'agency-a';
const OTHER_AGENCY = 'agency-b';

function fix(
  unitId: string,
  lon: number,
  lat: number,
  recordedAt: Date,
  seq: number,
  extra: Partial<PositionFix> = {},
): PositionFix {
  return {
    unitId,
    position: { type: 'Point', coordinates: [lon, lat] },
    recordedAt: recordedAt.toISOString(),
    seq,
    accuracyM: 5,
    ...extra,
  };
}

const ago = (seconds: number) => new Date(Date.now() - seconds * 1000);

describe('position ingestion (PostGIS)', () => {
  let h: GeoHarness;

  beforeAll(async () => {
    h = await createGeoHarness();
  });

  afterAll(async () => {
    await h.close();
  });

  async function latest(agencyId: string, unitId: string) {
    const rows: Array<{ lon: number; lat: number; seq: string; recorded_at: Date }> =
      await h.dataSource.query(
        `SELECT ST_X(location::geometry) AS lon, ST_Y(location::geometry) AS lat, seq, recorded_at
         FROM geo.units WHERE agency_id = $1 AND unit_id = $2`,
        [agencyId, unitId],
      );
    return rows[0];
  }

  it('keeps the newest fix by device time, whatever the arrival order, and stores all in history', async () => {
    const t0 = ago(300);
    const newer = fix('u-order', -3.7, 40.41, new Date(t0.getTime() + 20_000), 3);
    const older = fix('u-order', -3.71, 40.4, t0, 1);

    const first = await h.positions.ingest(AGENCY, [newer]);
    expect(first).toEqual({ accepted: 1, late: 0, duplicates: 0, rejected: [] });

    const second = await h.positions.ingest(AGENCY, [older]);
    expect(second).toEqual({ accepted: 1, late: 1, duplicates: 0, rejected: [] });

    const row = await latest(AGENCY, 'u-order');
    expect(row.lon).toBeCloseTo(-3.7, 6);
    expect(row.seq).toBe('3');

    const track = await h.positions.track({
      agencyId: AGENCY,
      unitId: 'u-order',
      from: ago(3600).toISOString(),
      to: new Date().toISOString(),
      limit: 100,
    });
    expect(track.items.map((item) => item.seq)).toEqual([1, 3]);
    expect(track.truncated).toBe(false);
  });

  it('breaks device-time ties by sequence and picks the newest fix inside one batch', async () => {
    const t = ago(200);
    const result = await h.positions.ingest(AGENCY, [
      fix('u-tie', 2.0, 41.0, t, 7),
      fix('u-tie', 2.001, 41.0, t, 9),
      fix('u-tie', 2.0005, 41.0, t, 8),
    ]);
    expect(result.accepted).toBe(3);
    expect((await latest(AGENCY, 'u-tie')).seq).toBe('9');

    // Same device time, lower sequence: stored in history, latest untouched.
    const late = await h.positions.ingest(AGENCY, [fix('u-tie', 2.0002, 41.0, t, 5)]);
    expect(late).toMatchObject({ accepted: 1, late: 1 });
    expect((await latest(AGENCY, 'u-tie')).seq).toBe('9');
  });

  it('ignores duplicates, within a batch and across batches', async () => {
    const t = ago(100);
    const a = fix('u-dup', 10, 50, t, 1);
    const b = fix('u-dup', 10.0001, 50, new Date(t.getTime() + 1000), 2);
    expect(await h.positions.ingest(AGENCY, [a, a, b])).toEqual({
      accepted: 2,
      late: 0,
      duplicates: 1,
      rejected: [],
    });
    expect(await h.positions.ingest(AGENCY, [b, a])).toEqual({
      accepted: 0,
      late: 0,
      duplicates: 2,
      rejected: [],
    });
    const count: Array<{ n: number }> = await h.dataSource.query(
      `SELECT count(*)::int AS n FROM geo.positions WHERE agency_id = $1 AND unit_id = 'u-dup'`,
      [AGENCY],
    );
    expect(count[0].n).toBe(2);
  });

  it('rejects impossible fixes with a reason and stores the rest', async () => {
    const t = ago(50);
    const result = await h.positions.ingest(AGENCY, [
      fix('u-bad', 181, 10, t, 1),
      fix('u-bad', 10, 10, t, 2, { accuracyM: 5_000 }),
      fix('u-bad', 10, 10, new Date(Date.now() + 3_600_000), 3),
      fix('u-bad', 10, 10, ago(10 * 86_400), 4),
      fix('u-bad', 10, 10, t, 5),
      // 1 degree of latitude (~111 km) in 10 s.
      fix('u-bad', 10, 11, new Date(t.getTime() + 10_000), 6),
    ]);
    expect(result.accepted).toBe(1);
    expect(result.rejected).toEqual([
      { index: 0, unitId: 'u-bad', reason: 'out_of_range' },
      { index: 1, unitId: 'u-bad', reason: 'accuracy' },
      { index: 2, unitId: 'u-bad', reason: 'future_timestamp' },
      { index: 3, unitId: 'u-bad', reason: 'too_old' },
      { index: 5, unitId: 'u-bad', reason: 'teleport' },
    ]);
    // The teleport check also compares with the stored latest fix of earlier batches.
    const next = await h.positions.ingest(AGENCY, [
      fix('u-bad', 12, 10, new Date(t.getTime() + 20_000), 7),
    ]);
    expect(next.rejected).toEqual([{ index: 0, unitId: 'u-bad', reason: 'teleport' }]);
  });

  it('scopes everything by agency', async () => {
    const t = ago(40);
    await h.positions.ingest(AGENCY, [fix('u-shared', 5, 5, t, 1)]);
    await h.positions.ingest(OTHER_AGENCY, [
      fix('u-shared', 6, 6, new Date(t.getTime() - 5000), 1),
    ]);
    expect((await latest(AGENCY, 'u-shared')).lon).toBeCloseTo(5, 6);
    expect((await latest(OTHER_AGENCY, 'u-shared')).lon).toBeCloseTo(6, 6);

    const inBox = await h.positions.inBbox({
      agencyId: OTHER_AGENCY,
      bbox: [4, 4, 7, 7],
      limit: 10,
    });
    expect(inBox.items.map((item) => item.unitId)).toEqual(['u-shared']);
    expect(inBox.items[0].position.coordinates[0]).toBeCloseTo(6, 6);
  });

  it('answers latest positions inside a bbox, with age filter and truncation', async () => {
    const t = ago(30);
    await h.positions.ingest(AGENCY, [
      fix('u-box-1', 20.1, 30.1, t, 1),
      fix('u-box-2', 20.2, 30.2, t, 1),
      fix('u-box-3', 20.3, 30.3, ago(7200), 1),
      fix('u-box-out', 21.5, 30.5, t, 1),
    ]);
    const all = await h.positions.inBbox({ agencyId: AGENCY, bbox: [20, 30, 21, 31], limit: 10 });
    expect(all.items.map((item) => item.unitId)).toEqual(['u-box-1', 'u-box-2', 'u-box-3']);
    const fresh = await h.positions.inBbox({
      agencyId: AGENCY,
      bbox: [20, 30, 21, 31],
      maxAgeS: 600,
      limit: 10,
    });
    expect(fresh.items.map((item) => item.unitId)).toEqual(['u-box-1', 'u-box-2']);
    const page = await h.positions.inBbox({ agencyId: AGENCY, bbox: [20, 30, 21, 31], limit: 2 });
    expect(page).toMatchObject({ truncated: true });
    expect(page.items).toHaveLength(2);
  });

  it('answers lon/lat boxes of every size: whole world, polar, wider than 180°, across the antimeridian', async () => {
    const agencyId = 'agency-boxes';
    const t = ago(30);
    // Each unit sits where a great-circle reading of a box's edges would leave it out.
    await h.positions.ingest(agencyId, [
      fix('u-north-pole', 10, 89.9, t, 1),
      fix('u-south', -120, -85, t, 1),
      fix('u-madrid', -3.7, 40.4, t, 1),
      fix('u-fiji', 179.5, -17, t, 1),
      fix('u-samoa', -172, -13.8, t, 1),
      fix('u-low-edge', 30, 45.2, t, 1),
    ]);
    const ids = async (bbox: [number, number, number, number]) =>
      (await h.positions.inBbox({ agencyId, bbox, limit: 100 })).items.map((item) => item.unitId);
    const everyone = ['u-fiji', 'u-low-edge', 'u-madrid', 'u-north-pole', 'u-samoa', 'u-south'];

    expect(await ids([-180, -90, 180, 90])).toEqual(everyone);
    expect(await ids([-170, -89, 179.9, 89.95])).toEqual(everyone.filter((id) => id !== 'u-samoa'));
    expect(await ids([-180, 80, 180, 90])).toEqual(['u-north-pole']);
    expect(await ids([-180, -90, 180, -80])).toEqual(['u-south']);
    // A box 120° wide: its south edge at 45°N is a parallel, not a great circle bowing north.
    expect(await ids([-30, 45, 90, 60])).toEqual(['u-low-edge']);
    // minLon > maxLon crosses the antimeridian (RFC 7946 §5.2).
    expect(await ids([170, -20, -170, -10])).toEqual(['u-fiji', 'u-samoa']);
    expect(await ids([179, -20, -179, -10])).toEqual(['u-fiji']);
    expect(await ids([-4, 40, -3, 41])).toEqual(['u-madrid']);

    // The corners of boxes up to 180° wide, the farthest points from the index scan's centre.
    const corners: Array<[number, number, number, number]> = [
      [-90, 5, 90, 70],
      [-100, -60, 75, 89],
      [100, -10, -100, 30],
    ];
    for (const [index, box] of corners.entries()) {
      const corner = `agency-corners-${index}`;
      const [minLon, minLat, maxLon, maxLat] = box;
      await h.positions.ingest(corner, [
        fix('sw', minLon, minLat, t, 1),
        fix('nw', minLon, maxLat, t, 1),
        fix('ne', maxLon, maxLat, t, 1),
        fix('se', maxLon, minLat, t, 1),
      ]);
      const found = await h.positions.inBbox({ agencyId: corner, bbox: box, limit: 10 });
      expect(found.items.map((item) => item.unitId)).toEqual(['ne', 'nw', 'se', 'sw']);
    }
  });

  it('coalesces unit.moved to one event per unit with the newest fix', async () => {
    await h.unitMoved.flush();
    h.sink.published.length = 0;
    const t = ago(20);
    await h.positions.ingest(AGENCY, [fix('u-moved', 1, 1, t, 1)]);
    await h.positions.ingest(AGENCY, [fix('u-moved', 1.0001, 1, new Date(t.getTime() + 1000), 2)]);
    await h.positions.ingest(AGENCY, [fix('u-moved', 1.00005, 1, new Date(t.getTime() + 500), 3)]);
    await h.unitMoved.flush();
    const moved = h.sink.published.filter((envelope) => envelope.type === 'unit.moved');
    expect(moved).toHaveLength(1);
    expect(moved[0]).toMatchObject({ agencyId: AGENCY, data: { unitId: 'u-moved', seq: 2 } });
  });
});
