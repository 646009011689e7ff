import type { PositionFix } from '@gad/contracts';
import { waitFor } from '@gad/testing';
import { createGeoHarness, square, type GeoHarness } from './geo-test-harness';

const AGENCY = 'agency-replicas';

/**
 * Two geo-service replicas on one database (docs/adr/0034): `a` ingests with its in-memory copy of
 * the agency's fence boxes, `b` changes the fences. A copy made stale by the other replica's change
 * must never decide what `a` evaluates: the statement sees the new version and probes the fence
 * index itself, and `a` reloads its copy afterwards.
 */
describe('fence box copies across replicas (PostGIS)', () => {
  let a: GeoHarness;
  let b: GeoHarness;
  const base = Date.now() - 600_000;
  let seq = 0;

  beforeAll(async () => {
    a = await createGeoHarness({ POSITION_MAX_SPEED_MPS: '100000' });
    b = await createGeoHarness({ POSITION_MAX_SPEED_MPS: '100000' }, { shareDatabaseOf: a });
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  function fix(unitId: string, lon: number, lat: number, t: number): PositionFix {
    seq += 1;
    return {
      unitId,
      position: { type: 'Point', coordinates: [lon, lat] },
      recordedAt: new Date(base + t * 1000).toISOString(),
      seq,
    };
  }

  async function entered(unitId: string): Promise<string[]> {
    const rows: Array<{ fence: string }> = await a.dataSource.query(
      `SELECT envelope->'data'->>'geofenceId' AS fence FROM geo.outbox
       WHERE envelope->>'type' = 'geofence.entered' AND envelope->'data'->>'unitId' = $1
       ORDER BY id`,
      [unitId],
    );
    return rows.map((row) => row.fence);
  }

  async function fenceVersion(): Promise<string> {
    const rows: Array<{ version: string }> = await a.dataSource.query(
      `SELECT version::text FROM geo.geofence_versions WHERE agency_id = $1`,
      [AGENCY],
    );
    return rows[0].version;
  }

  /** Waits until a's copy has the agency's current fence version (a reloads on its own). */
  async function copyIsCurrent(): Promise<void> {
    await waitFor(
      async () => a.geofencesRepository.boxes.current(AGENCY)?.version === (await fenceVersion()),
      { description: "a's copy of the fence boxes to be reloaded" },
    );
  }

  const zone = (name: string, lon: number, lat: number) => ({
    agencyId: AGENCY,
    name,
    kind: 'zone' as const,
    geometry: square(lon, lat, 0.01),
    minInsideS: 0,
    minOutsideS: 0,
  });

  it('evaluates a fence created, moved or expired on another replica while its copy is stale', async () => {
    const first = await a.geofences.create(zone('First', 10, 10));
    await a.geofencesRepository.boxes.refresh(AGENCY);
    const copy = a.geofencesRepository.boxes.current(AGENCY);
    expect(copy?.version).toBe(await fenceVersion());
    expect(copy?.candidates(10.005, 10.005)).toEqual([first.id]);

    // Created on b: a's copy does not have it, the statement sees a newer version.
    const second = await b.geofences.create(zone('Second', 20, 20));
    expect(a.geofencesRepository.boxes.current(AGENCY)?.version).not.toBe(await fenceVersion());
    await a.positions.ingest(AGENCY, [fix('u-new-1', 20.005, 20.005, 0)]);
    expect(await entered('u-new-1')).toEqual([second.id]);

    // a noticed and reloads its copy; the next fix goes through the copy's candidates.
    await copyIsCurrent();
    expect(a.geofencesRepository.boxes.current(AGENCY)?.candidates(20.005, 20.005)).toEqual([
      second.id,
    ]);
    await a.positions.ingest(AGENCY, [fix('u-new-2', 20.005, 20.005, 0)]);
    expect(await entered('u-new-2')).toEqual([second.id]);

    // Moved on b: a's copy still has the old box.
    await b.geofences.update({ agencyId: AGENCY, id: first.id, geometry: square(30, 30, 0.01) });
    await a.positions.ingest(AGENCY, [
      fix('u-moved-new', 30.005, 30.005, 0),
      fix('u-moved-old', 10.005, 10.005, 0),
    ]);
    expect(await entered('u-moved-new')).toEqual([first.id]);
    expect(await entered('u-moved-old')).toEqual([]);

    // Expired on b: a's copy still has it, the statement does not evaluate it.
    await copyIsCurrent();
    await b.geofences.update({
      agencyId: AGENCY,
      id: second.id,
      expiresAt: new Date(Date.now() - 1000).toISOString(),
    });
    await a.positions.ingest(AGENCY, [fix('u-expired', 20.005, 20.005, 0)]);
    expect(await entered('u-expired')).toEqual([]);
  });

  it('evaluates the fixes of an upload inside a fence another replica just created', async () => {
    await a.geofencesRepository.boxes.refresh(AGENCY);
    const fence = await b.geofences.create(zone('Upload', 40, 40));
    await a.positions.ingest(AGENCY, [
      fix('u-upload', 39.5, 39.5, 0),
      fix('u-upload', 40.005, 40.005, 10),
      fix('u-upload', 40.006, 40.006, 20),
    ]);
    expect(await entered('u-upload')).toEqual([fence.id]);
  });

  it('copies an agency whose fences include an empty one written by SQL', async () => {
    const EMPTY = 'agency-empty-fence';
    await a.dataSource.query(
      `INSERT INTO geo.geofences (id, agency_id, name, kind, geometry_type, area_geom, vertex_count)
       VALUES (geo.uuid_v7(), $1, 'Nothing', 'zone', 'MultiPolygon',
               ST_GeomFromText('MULTIPOLYGON EMPTY', 4326), 0)`,
      [EMPTY],
    );
    const fence = await b.geofences.create({ ...zone('Real', 70, 70), agencyId: EMPTY });
    await a.geofencesRepository.boxes.refresh(EMPTY);
    expect(a.geofencesRepository.boxes.current(EMPTY)?.fences).toBe(1);
    await a.positions.ingest(EMPTY, [fix('u-empty', 70.005, 70.005, 0), fix('u-zero', 0, 0, 0)]);
    const rows: Array<{ unit: string; fence: string }> = await a.dataSource.query(
      `SELECT envelope->'data'->>'unitId' AS unit, envelope->'data'->>'geofenceId' AS fence
       FROM geo.outbox WHERE envelope->>'agencyId' = $1 AND envelope->>'type' = 'geofence.entered'`,
      [EMPTY],
    );
    expect(rows).toEqual([{ unit: 'u-empty', fence: fence.id }]);
  });

  it('never misses a fence while another replica keeps creating them', async () => {
    // a's copy reloads in the background while b creates fences; each first fix inside the newest
    // fence must report it, whichever copy a holds at that moment.
    const created: string[] = [];
    for (let i = 0; i < 12; i += 1) {
      const fence = await b.geofences.create(zone(`Busy ${i}`, 50 + i * 0.1, 50));
      created.push(fence.id);
      const unit = `u-busy-${i}`;
      await a.positions.ingest(AGENCY, [fix(unit, 50 + i * 0.1 + 0.005, 50.005, 0)]);
      expect(await entered(unit)).toEqual([fence.id]);
    }
    // The last copy a loaded has every fence.
    await copyIsCurrent();
    const copy = a.geofencesRepository.boxes.current(AGENCY);
    created.forEach((id, i) =>
      expect(copy?.candidates(50 + i * 0.1 + 0.005, 50.005)).toEqual([id]),
    );
  });
});
