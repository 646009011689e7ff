import {
  AuditActions,
  EventSchemas,
  auditEntrySchema,
  envelopeSchema,
  type PositionFix,
} from '@gad/contracts';
import { DomainException } from '@gad/platform';
import { waitFor } from '@gad/testing';
import { createGeoHarness, square, type GeoHarness } from './geo-test-harness';

const AGENCY = 'agency-fences';

interface OutboxEvent {
  type: string;
  data: Record<string, unknown>;
}

// Every scenario runs twice: as a replica without a current copy of the fence boxes (the
// statement probes the fence index) and with the copy reloaded before each batch (the statement
// tests the copy's candidates), docs/adr/0034.
describe.each([
  ['probing the fence index', false],
  ['through the fence box copy', true],
])('geofences (PostGIS), %s', (_mode, freshFenceBoxes) => {
  let h: GeoHarness;
  const base = Date.now() - 3_600_000;
  let seq = 0;

  beforeAll(async () => {
    // Test units jump between far-apart points every few seconds: no teleport check here.
    h = await createGeoHarness({ POSITION_MAX_SPEED_MPS: '100000' }, { freshFenceBoxes });
  });

  afterAll(async () => {
    await h.close();
  });

  function at(seconds: number): Date {
    return new Date(base + seconds * 1000);
  }

  async function report(
    unitId: string,
    lon: number,
    lat: number,
    t: number,
    extra: Partial<PositionFix> = {},
  ) {
    seq += 1;
    return h.positions.ingest(AGENCY, [
      {
        unitId,
        position: { type: 'Point', coordinates: [lon, lat] },
        recordedAt: at(t).toISOString(),
        seq,
        accuracyM: 5,
        ...extra,
      },
    ]);
  }

  /** Events of one unit written to the outbox so far, validated against the registry. */
  async function events(unitId: string): Promise<OutboxEvent[]> {
    const rows: Array<{ envelope: unknown }> = await h.dataSource.query(
      `SELECT envelope FROM geo.outbox WHERE envelope->'data'->>'unitId' = $1 ORDER BY id`,
      [unitId],
    );
    return rows.map(({ envelope }) => {
      const parsed = envelopeSchema.parse(envelope);
      expect(parsed.agencyId).toBe(AGENCY);
      const schema = EventSchemas[parsed.type as keyof typeof EventSchemas][1];
      return { type: parsed.type, data: schema.parse(parsed.data) as Record<string, unknown> };
    });
  }

  describe('CRUD and validation', () => {
    it("names the agency's smallest zone at a point, never another kind, an expired zone or another agency's", async () => {
      // An agency of its own: the other tests list and count AGENCY's fences.
      const ZONES = 'agency-zones';
      const fence = (
        agencyId: string,
        name: string,
        kind: 'zone' | 'restricted_area' | 'perimeter',
        geometry: ReturnType<typeof square>,
        extra: { incidentId?: string; expiresAt?: string } = {},
      ) =>
        h.geofences.create({
          agencyId,
          name,
          kind,
          geometry,
          minInsideS: 0,
          minOutsideS: 0,
          ...extra,
        });
      const zoneAt = (agencyId: string, lon: number, lat: number) =>
        h.geofences.zoneAt({ agencyId, lon, lat });

      const district = await fence(ZONES, 'District 9', 'zone', square(120, -30, 1));
      const beat = await fence(ZONES, 'Beat 9A', 'zone', square(120.2, -29.8, 0.2));
      await fence(ZONES, 'Range', 'restricted_area', square(120.6, -29.4, 0.2));
      await fence(ZONES, 'Cordon', 'perimeter', square(120.6, -29.8, 0.2), {
        incidentId: 'incident-z',
      });
      await fence(ZONES, 'Old beat', 'zone', square(120.6, -29.1, 0.05), {
        expiresAt: new Date(Date.now() + 1_000).toISOString(),
      });
      await fence('another-agency', 'Theirs', 'zone', square(119, -31, 5));

      expect(await zoneAt(ZONES, 120.3, -29.7)).toEqual({
        zone: { id: beat.id, name: 'Beat 9A' },
      });
      expect(await zoneAt(ZONES, 120.1, -29.9)).toEqual({
        zone: { id: district.id, name: 'District 9' },
      });
      // A restricted area or a perimeter inside the district is not a zone: the district names it.
      expect((await zoneAt(ZONES, 120.7, -29.3)).zone?.name).toBe('District 9');
      expect((await zoneAt(ZONES, 120.7, -29.7)).zone?.name).toBe('District 9');
      // Outside every zone of the agency (inside another agency's): none.
      expect(await zoneAt(ZONES, 122, -30.5)).toEqual({ zone: null });
      expect((await zoneAt('another-agency', 120.3, -29.7)).zone?.name).toBe('Theirs');
      // The smaller zone names its points only while it lasts.
      expect((await zoneAt(ZONES, 120.62, -29.08)).zone?.name).toBe('Old beat');
      await waitFor(async () => (await zoneAt(ZONES, 120.62, -29.08)).zone?.name === 'District 9', {
        description: 'the expired beat no longer names its points',
        timeoutMs: 10_000,
      });
    });

    it('creates, reads, lists, updates and deletes a fence', async () => {
      const created = await h.geofences.create({
        agencyId: AGENCY,
        name: 'Depot',
        kind: 'zone',
        geometry: square(0, 0, 1),
        minInsideS: 0,
        minOutsideS: 0,
      });
      expect(created).toMatchObject({
        name: 'Depot',
        kind: 'zone',
        incidentId: null,
        vertexCount: 5,
        version: 1,
        geometry: square(0, 0, 1),
      });
      expect(await h.geofences.get(AGENCY, created.id)).toEqual(created);
      await expect(h.geofences.get('another-agency', created.id)).rejects.toMatchObject({
        code: 'geofence_not_found',
        status: 404,
      });

      const updated = await h.geofences.update({
        agencyId: AGENCY,
        id: created.id,
        name: 'Depot North',
        dwellThresholdS: 60,
        expectedVersion: 1,
      });
      expect(updated).toMatchObject({ name: 'Depot North', dwellThresholdS: 60, version: 2 });
      await expect(
        h.geofences.update({ agencyId: AGENCY, id: created.id, name: 'x', expectedVersion: 1 }),
      ).rejects.toMatchObject({ code: 'geofence_version_conflict', status: 409 });

      const perimeter = await h.geofences.create({
        agencyId: AGENCY,
        name: 'Fire perimeter',
        kind: 'perimeter',
        incidentId: 'incident-1',
        geometry: {
          type: 'MultiPolygon',
          coordinates: [square(5, 5, 0.1).coordinates, square(6, 6, 0.1).coordinates],
        },
        minInsideS: 0,
        minOutsideS: 0,
      });
      expect(perimeter.geometry.type).toBe('MultiPolygon');
      const page1 = await h.geofences.list({ agencyId: AGENCY, limit: 1 });
      expect(page1.items.map((fence) => fence.id)).toEqual([created.id]);
      const page2 = await h.geofences.list({
        agencyId: AGENCY,
        limit: 1,
        cursor: page1.nextCursor,
      });
      expect(page2.items.map((fence) => fence.id)).toEqual([perimeter.id]);
      const perimeters = await h.geofences.list({ agencyId: AGENCY, kind: 'perimeter', limit: 10 });
      expect(perimeters.items.map((fence) => fence.id)).toEqual([perimeter.id]);

      expect(await h.geofences.delete(AGENCY, perimeter.id)).toEqual({ deleted: true });
      await expect(h.geofences.delete(AGENCY, perimeter.id)).rejects.toMatchObject({
        code: 'geofence_not_found',
      });
      await h.geofences.delete(AGENCY, created.id);
    });

    it.each([
      [
        'an unclosed ring',
        {
          type: 'Polygon',
          coordinates: [
            [
              [0, 0],
              [1, 0],
              [1, 1],
              [0, 1],
            ],
          ],
        },
        /not closed/,
      ],
      [
        'a ring with too few positions',
        {
          type: 'Polygon',
          coordinates: [
            [
              [0, 0],
              [1, 0],
              [0, 0],
            ],
          ],
        },
        /at least 4/,
      ],
      [
        'a self-intersecting bow tie',
        {
          type: 'Polygon',
          coordinates: [
            [
              [0, 0],
              [1, 1],
              [1, 0],
              [0, 1],
              [0, 0],
            ],
          ],
        },
        /Self-intersection/,
      ],
      [
        'a hole outside its shell',
        {
          type: 'Polygon',
          coordinates: [square(0, 0, 1).coordinates[0], square(3, 3, 1).coordinates[0]],
        },
        /Hole lies outside shell/,
      ],
    ] as const)(
      'rejects %s with invalid_geometry and the reason',
      async (_name, geometry, reason) => {
        const attempt = h.geofences.create({
          agencyId: AGENCY,
          name: 'bad',
          kind: 'zone',
          geometry: geometry as never,
          minInsideS: 0,
          minOutsideS: 0,
        });
        await expect(attempt).rejects.toBeInstanceOf(DomainException);
        await expect(attempt).rejects.toMatchObject({ code: 'invalid_geometry', status: 422 });
        await expect(attempt).rejects.toThrow(reason);
      },
    );

    it('rejects geometries over the vertex limit and perimeters without an incident', async () => {
      const ring: Array<[number, number]> = [];
      const n = h.config.GEOFENCE_MAX_VERTICES + 10;
      for (let i = 0; i < n; i += 1) {
        const angle = (2 * Math.PI * i) / n;
        ring.push([Math.cos(angle), Math.sin(angle)]);
      }
      ring.push(ring[0]);
      await expect(
        h.geofences.create({
          agencyId: AGENCY,
          name: 'huge',
          kind: 'zone',
          geometry: { type: 'Polygon', coordinates: [ring] },
          minInsideS: 0,
          minOutsideS: 0,
        }),
      ).rejects.toMatchObject({ code: 'invalid_geometry' });
      await expect(
        h.geofences.create({
          agencyId: AGENCY,
          name: 'p',
          kind: 'perimeter',
          geometry: square(0, 0, 1),
          minInsideS: 0,
          minOutsideS: 0,
        }),
      ).rejects.toMatchObject({ code: 'perimeter_requires_incident' });
      const count: Array<{ n: number }> = await h.dataSource.query(
        `SELECT count(*)::int AS n FROM geo.geofences WHERE agency_id = $1`,
        [AGENCY],
      );
      expect(count[0].n).toBe(0);
    });
  });

  describe('enter / exit / dwell', () => {
    let fenceId: string;

    beforeAll(async () => {
      const fence = await h.geofences.create({
        agencyId: AGENCY,
        name: 'Hospital',
        kind: 'zone',
        geometry: square(10, 10, 0.01),
        minInsideS: 30,
        minOutsideS: 20,
        dwellThresholdS: 120,
        accuracyMarginM: 50,
      });
      fenceId = fence.id;
    });

    const inside = [10.005, 10.005] as const;
    const outside = [10.05, 10.05] as const;

    it('reports the initial state when a unit first reports from inside', async () => {
      await report('u-initial', inside[0], inside[1], 0);
      const got = await events('u-initial');
      expect(got).toEqual([
        {
          type: 'geofence.entered',
          data: expect.objectContaining({
            geofenceId: fenceId,
            geofenceName: 'Hospital',
            kind: 'zone',
            unitId: 'u-initial',
            initial: true,
            at: at(0).toISOString(),
          }),
        },
      ]);
    });

    it('audits each transition in the transaction that fires it (docs/adr/0021)', async () => {
      await report('u-audited', inside[0], inside[1], 0);
      const rows: Array<{ entry: Record<string, unknown> }> = await h.dataSource.query(
        `SELECT envelope AS entry FROM geo.outbox
         WHERE stream = 'queue:audit' AND envelope->'object'->>'id' = $1`,
        ['u-audited'],
      );
      expect(rows.map((row) => auditEntrySchema.parse(row.entry))).toEqual([
        expect.objectContaining({
          agencyId: AGENCY,
          service: 'geo-service',
          actor: { kind: 'service', id: 'geo-service' },
          action: AuditActions.GeofenceTransition,
          outcome: 'success',
          object: { type: 'unit', id: 'u-audited' },
          details: { event: 'geofence.entered', geofenceId: fenceId, at: at(0).toISOString() },
        }),
      ]);
    });

    it('reports nothing for a first fix outside every fence', async () => {
      await report('u-outside', outside[0], outside[1], 0);
      expect(await events('u-outside')).toEqual([]);
    });

    it('enters only after the minimum time inside, exits after the minimum time outside, with dwell', async () => {
      const unit = 'u-hyst';
      await report(unit, outside[0], outside[1], 0);
      await report(unit, inside[0], inside[1], 10); // pending inside since 10
      await report(unit, inside[0], inside[1], 25); // 15 s inside < 30 s
      expect(await events(unit)).toEqual([]);

      await report(unit, inside[0], inside[1], 40); // 30 s inside: entered, timed at 10
      expect(await events(unit)).toEqual([
        {
          type: 'geofence.entered',
          data: expect.objectContaining({ initial: false, at: at(10).toISOString() }),
        },
      ]);

      // A short excursion outside (< 20 s) does not exit.
      await report(unit, outside[0], outside[1], 50);
      await report(unit, inside[0], inside[1], 60);
      expect((await events(unit)).map((event) => event.type)).toEqual(['geofence.entered']);

      // Inside for 120 s since 10: one dwell event, not repeated.
      await report(unit, inside[0], inside[1], 130);
      await report(unit, inside[0], inside[1], 140);
      const afterDwell = await events(unit);
      expect(afterDwell.map((event) => event.type)).toEqual(['geofence.entered', 'geofence.dwell']);
      expect(afterDwell[1].data).toMatchObject({
        enteredAt: at(10).toISOString(),
        dwellS: 120,
        thresholdS: 120,
      });

      await report(unit, outside[0], outside[1], 200); // pending outside since 200
      await report(unit, outside[0], outside[1], 220); // 20 s outside: exited at 200
      const all = await events(unit);
      expect(all.map((event) => event.type)).toEqual([
        'geofence.entered',
        'geofence.dwell',
        'geofence.exited',
      ]);
      expect(all[2].data).toMatchObject({
        at: at(200).toISOString(),
        enteredAt: at(10).toISOString(),
        dwellS: 190,
      });
      const rows: Array<{ n: number }> = await h.dataSource.query(
        `SELECT count(*)::int AS n FROM geo.geofence_membership WHERE unit_id = $1`,
        [unit],
      );
      expect(rows[0].n).toBe(0);
    });

    it('does not flap on a late fix from the other side', async () => {
      // No hysteresis, so any evaluated fix from outside would exit at once.
      await h.geofences.create({
        agencyId: AGENCY,
        name: 'Station',
        kind: 'zone',
        geometry: square(30, 30, 0.01),
        minInsideS: 0,
        minOutsideS: 0,
      });
      const unit = 'u-late';
      await report(unit, 30.005, 30.005, 0); // initial entered
      await report(unit, 30.005, 30.005, 60);
      // Device time older than the last evaluated fix, from outside: stored, but no state change.
      const late = await report(unit, 30.05, 30.05, 30);
      expect(late).toMatchObject({ accepted: 1, late: 1 });
      await report(unit, 30.005, 30.005, 70);
      expect((await events(unit)).map((event) => event.type)).toEqual(['geofence.entered']);
      const membership: Array<{ state: string; evaluated_at: Date }> = await h.dataSource.query(
        `SELECT state, evaluated_at FROM geo.geofence_membership WHERE unit_id = $1`,
        [unit],
      );
      // The row keeps its last change (the initial entry): fixes that changed nothing left it as is.
      expect(membership).toEqual([{ state: 'inside', evaluated_at: at(0) }]);
    });

    it('evaluates every fix of a batch in device-time order: in, out and in again', async () => {
      const fence = await h.geofences.create({
        agencyId: AGENCY,
        name: 'Depot',
        kind: 'zone',
        geometry: square(40, 40, 0.01),
        minInsideS: 0,
        minOutsideS: 0,
      });
      const unit = 'u-round-trip';
      await report(unit, 40.05, 40.05, 0);
      // One batch (an offline upload), not in device-time order.
      const upload = (
        [
          [40.005, 40.005, 30],
          [40.005, 40.005, 10],
          [40.05, 40.05, 20],
          [40.05, 40.05, 40],
          [40.006, 40.006, 50],
        ] as const
      ).map(([lon, lat, t]) => {
        seq += 1;
        return {
          unitId: unit,
          position: { type: 'Point' as const, coordinates: [lon, lat] as [number, number] },
          recordedAt: at(t).toISOString(),
          seq,
          accuracyM: 5,
        };
      });
      await h.positions.ingest(AGENCY, upload);
      const got = await events(unit);
      expect(got.map((event) => [event.type, event.data.at, event.data.geofenceId])).toEqual([
        ['geofence.entered', at(10).toISOString(), fence.id],
        ['geofence.exited', at(20).toISOString(), fence.id],
        ['geofence.entered', at(30).toISOString(), fence.id],
        ['geofence.exited', at(40).toISOString(), fence.id],
        ['geofence.entered', at(50).toISOString(), fence.id],
      ]);
      // A redelivered batch (all duplicates) changes nothing.
      await h.positions.ingest(AGENCY, upload);
      expect(await events(unit)).toHaveLength(5);
    });

    it('evaluates a late fix for a fence the newer fixes were too inaccurate for', async () => {
      const fence = await h.geofences.create({
        agencyId: AGENCY,
        name: 'Yard',
        kind: 'zone',
        geometry: square(50, 50, 0.01),
        minInsideS: 0,
        minOutsideS: 0,
        accuracyMarginM: 50,
      });
      const unit = 'u-late-accurate';
      await report(unit, 50.005, 50.005, 0); // initial entered
      // Newest fix, outside but too inaccurate for this fence: ignored by it.
      await report(unit, 50.05, 50.05, 100, { accuracyM: 300 });
      // Late (older than the latest) but accurate, from outside: it counts for this fence.
      const late = await report(unit, 50.05, 50.05, 60);
      expect(late).toMatchObject({ accepted: 1, late: 1 });
      expect((await events(unit)).map((event) => [event.type, event.data.at])).toEqual([
        ['geofence.entered', at(0).toISOString()],
        ['geofence.exited', at(60).toISOString()],
      ]);
      expect((await events(unit))[1].data).toMatchObject({ geofenceId: fence.id, dwellS: 60 });
    });

    it('ignores fixes whose accuracy is worse than the fence margin', async () => {
      const unit = 'u-fuzzy';
      await report(unit, outside[0], outside[1], 0);
      await report(unit, inside[0], inside[1], 10, { accuracyM: 200 });
      await report(unit, inside[0], inside[1], 100, { accuracyM: 200 });
      expect(await events(unit)).toEqual([]);
      await report(unit, inside[0], inside[1], 110, { accuracyM: 10 });
      await report(unit, inside[0], inside[1], 140, { accuracyM: 10 });
      expect(await events(unit)).toEqual([
        { type: 'geofence.entered', data: expect.objectContaining({ at: at(110).toISOString() }) },
      ]);
    });

    it('fires immediately on fences without hysteresis and ignores expired fences', async () => {
      const instant = await h.geofences.create({
        agencyId: AGENCY,
        name: 'Restricted',
        kind: 'restricted_area',
        geometry: square(20, 20, 0.01),
        minInsideS: 0,
        minOutsideS: 0,
      });
      await h.geofences.create({
        agencyId: AGENCY,
        name: 'Old perimeter',
        kind: 'perimeter',
        incidentId: 'incident-old',
        geometry: square(20, 20, 0.01),
        minInsideS: 0,
        minOutsideS: 0,
        expiresAt: new Date(Date.now() - 60_000).toISOString(),
      });
      const unit = 'u-instant';
      await report(unit, 20.05, 20.05, 0);
      await report(unit, 20.005, 20.005, 10);
      await report(unit, 20.05, 20.05, 20);
      const got = await events(unit);
      expect(got.map((event) => [event.type, event.data.geofenceId])).toEqual([
        ['geofence.entered', instant.id],
        ['geofence.exited', instant.id],
      ]);
      expect(got[1].data).toMatchObject({ dwellS: 10 });
    });

    it('creates and evaluates a whole-world fence and one cut at the antimeridian', async () => {
      const world = await h.geofences.create({
        agencyId: 'agency-world',
        name: 'Everywhere',
        kind: 'zone',
        geometry: square(-180, -90, 180),
        minInsideS: 0,
        minOutsideS: 0,
      });
      const worldWide = {
        type: 'Polygon' as const,
        coordinates: [
          [
            [-180, -90],
            [180, -90],
            [180, 90],
            [-180, 90],
            [-180, -90],
          ] as Array<[number, number]>,
        ],
      };
      const whole = await h.geofences.update({
        agencyId: 'agency-world',
        id: world.id,
        geometry: worldWide,
      });
      expect(whole.geometry).toEqual(worldWide);
      const fiji = await h.geofences.create({
        agencyId: 'agency-world',
        name: 'Across the antimeridian',
        kind: 'zone',
        geometry: {
          type: 'MultiPolygon',
          coordinates: [
            [
              [
                [179, -19],
                [180, -19],
                [180, -16],
                [179, -16],
                [179, -19],
              ],
            ],
            [
              [
                [-180, -19],
                [-179, -19],
                [-179, -16],
                [-180, -16],
                [-180, -19],
              ],
            ],
          ],
        },
        minInsideS: 0,
        minOutsideS: 0,
      });
      const entered = async (unitId: string, lon: number, lat: number) => {
        seq += 1;
        await h.positions.ingest('agency-world', [
          {
            unitId,
            position: { type: 'Point', coordinates: [lon, lat] },
            recordedAt: at(0).toISOString(),
            seq,
          },
        ]);
        const rows: Array<{ fence: string }> = await h.dataSource.query(
          `SELECT envelope->'data'->>'geofenceId' AS fence FROM geo.outbox
           WHERE envelope->>'type' = 'geofence.entered' AND envelope->'data'->>'unitId' = $1
           ORDER BY 1`,
          [unitId],
        );
        return rows.map((row) => row.fence).sort();
      };
      expect(await entered('u-pole', 0, 89.99)).toEqual([world.id]);
      expect(await entered('u-west-fiji', -179.5, -17)).toEqual([world.id, fiji.id].sort());
      expect(await entered('u-east-fiji', 179.5, -17)).toEqual([world.id, fiji.id].sort());
      expect(await entered('u-tonga', -175, -21)).toEqual([world.id]);
    });

    it('fires dwell on time for a unit that stopped reporting inside a fence', async () => {
      const fence = await h.geofences.create({
        agencyId: AGENCY,
        name: 'Checkpoint',
        kind: 'zone',
        geometry: square(60, 60, 0.01),
        minInsideS: 0,
        minOutsideS: 0,
        dwellThresholdS: 120,
      });
      const unit = 'u-silent';
      await report(unit, 60.05, 60.05, 0);
      await report(unit, 60.005, 60.005, 10); // entered at 10, then silence
      try {
        h.clock.set(at(100));
        await h.dwell.fireDue();
        expect((await events(unit)).map((event) => event.type)).toEqual(['geofence.entered']);
        h.clock.set(at(131));
        await h.dwell.fireDue();
        await h.dwell.fireDue();
      } finally {
        h.clock.set(undefined);
      }
      const got = await events(unit);
      expect(got.map((event) => event.type)).toEqual(['geofence.entered', 'geofence.dwell']);
      // The timer's dwell has its audit entry, written by the statement that fired it.
      const audited: Array<{ entry: Record<string, unknown> }> = await h.dataSource.query(
        `SELECT envelope AS entry FROM geo.outbox
         WHERE stream = 'queue:audit' AND envelope->'object'->>'id' = $1
           AND envelope->'details'->>'event' = 'geofence.dwell'`,
        [unit],
      );
      expect(audited.map((row) => auditEntrySchema.parse(row.entry))).toEqual([
        expect.objectContaining({
          action: AuditActions.GeofenceTransition,
          details: { event: 'geofence.dwell', geofenceId: fence.id, at: at(130).toISOString() },
        }),
      ]);
      expect(got[1].data).toMatchObject({
        geofenceId: fence.id,
        unitId: unit,
        at: at(130).toISOString(),
        enteredAt: at(10).toISOString(),
        dwellS: 120,
        thresholdS: 120,
        position: { type: 'Point', coordinates: [60.005, 60.005] },
      });
      // Once per stay: a later fix inside does not fire it again.
      await report(unit, 60.005, 60.005, 200);
      expect((await events(unit)).map((event) => event.type)).toEqual([
        'geofence.entered',
        'geofence.dwell',
      ]);
    });

    it('evaluates many units of one batch in one pass', async () => {
      seq += 1;
      const fixes: PositionFix[] = Array.from({ length: 50 }, (_, i) => ({
        unitId: `u-batch-${i}`,
        position: { type: 'Point', coordinates: i % 2 === 0 ? [...inside] : [...outside] },
        recordedAt: at(0).toISOString(),
        seq,
      }));
      await h.positions.ingest(AGENCY, fixes);
      const rows: Array<{ n: number }> = await h.dataSource.query(
        `SELECT count(*)::int AS n FROM geo.outbox
         WHERE envelope->>'type' = 'geofence.entered' AND envelope->'data'->>'unitId' LIKE 'u-batch-%'`,
      );
      expect(rows[0].n).toBe(25);
    });
  });
});
