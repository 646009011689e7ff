import { geoServiceEnvSchema } from '../geo-service.config';
import { GeofenceException } from './geofences.exception';
import type { GeofenceRow, GeofencesRepository } from './geofences.repository';
import {
  decodeCursor,
  encodeCursor,
  GeofencesService,
  geometryShapeProblem,
} from './geofences.service';

const ring = (points: Array<[number, number]>) => points;
const SQUARE = ring([
  [0, 0],
  [1, 0],
  [1, 1],
  [0, 1],
  [0, 0],
]);
const NOW = new Date('2026-11-22T12:00:00.000Z');

function row(id: string): GeofenceRow {
  return {
    id,
    agency_id: 'ag',
    name: 'Zone',
    kind: 'zone',
    incident_id: null,
    geometry_type: 'Polygon',
    geometry: JSON.stringify({ type: 'Polygon', coordinates: [SQUARE] }),
    vertex_count: 5,
    min_inside_s: 0,
    min_outside_s: 0,
    dwell_threshold_s: null,
    accuracy_margin_m: null,
    expires_at: null,
    version: 1,
    created_at: NOW,
    updated_at: NOW,
  };
}

describe('geometryShapeProblem', () => {
  it('accepts closed rings within the vertex limit', () => {
    expect(geometryShapeProblem({ type: 'Polygon', coordinates: [SQUARE] }, 100)).toBeUndefined();
  });

  it('names the ring that is open or too short, and the vertex limit', () => {
    expect(
      geometryShapeProblem(
        { type: 'MultiPolygon', coordinates: [[SQUARE], [SQUARE.slice(0, 4)]] },
        100,
      ),
    ).toBe('polygon 1 ring 0 is not closed (first and last positions differ)');
    expect(
      geometryShapeProblem(
        {
          type: 'Polygon',
          coordinates: [
            [
              [0, 0],
              [1, 1],
              [0, 0],
            ],
          ],
        },
        100,
      ),
    ).toMatch(/ring 0 has 3 positions/);
    expect(geometryShapeProblem({ type: 'Polygon', coordinates: [SQUARE, SQUARE] }, 9)).toBe(
      '10 vertices exceed the limit of 9',
    );
  });
});

describe('GeofencesService', () => {
  const config = geoServiceEnvSchema.parse({});
  let repository: jest.Mocked<
    Pick<
      GeofencesRepository,
      'checkGeometry' | 'insert' | 'findById' | 'findPage' | 'update' | 'delete'
    >
  >;
  let sut: GeofencesService;

  beforeEach(() => {
    repository = {
      checkGeometry: jest
        .fn()
        .mockResolvedValue({ valid: true, reason: 'Valid Geometry', vertices: 5 }),
      insert: jest.fn().mockResolvedValue(undefined),
      findById: jest.fn((_agency: string, id: string) => Promise.resolve(row(id))),
      findPage: jest.fn(),
      update: jest.fn(),
      delete: jest.fn(),
    } as never;
    sut = new GeofencesService(
      repository as unknown as GeofencesRepository,
      // The unit of work's transaction is not what these cases check: the work runs without one.
      { run: (work: (tx: unknown) => unknown) => work({ client: undefined }) } as never,
      { now: () => NOW },
      config,
    );
  });

  const request = {
    agencyId: 'ag',
    name: 'Zone',
    kind: 'zone' as const,
    geometry: { type: 'Polygon' as const, coordinates: [SQUARE] },
    minInsideS: 0,
    minOutsideS: 0,
  };

  it('stores a valid fence with a UUIDv7 id and returns it', async () => {
    const created = await sut.create(request);
    expect(created.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(repository.insert).toHaveBeenCalledWith(
      expect.objectContaining({ id: created.id, agencyId: 'ag', geometryType: 'Polygon' }),
      undefined,
    );
  });

  it('answers invalid_geometry with the PostGIS reason and stores nothing', async () => {
    repository.checkGeometry.mockResolvedValue({
      valid: false,
      reason: 'Self-intersection[0.5 0.5]',
      vertices: 5,
    });
    const attempt = sut.create(request);
    await expect(attempt).rejects.toBeInstanceOf(GeofenceException);
    await expect(attempt).rejects.toMatchObject({
      code: 'invalid_geometry',
      status: 422,
      extensions: { reason: 'Self-intersection[0.5 0.5]' },
    });
    expect(repository.insert).not.toHaveBeenCalled();
  });

  it('maps unparsable geometries to invalid_geometry but not other database errors', async () => {
    repository.checkGeometry.mockRejectedValueOnce(
      Object.assign(new Error('bad json'), { code: 'XX000' }),
    );
    await expect(sut.create(request)).rejects.toMatchObject({ code: 'invalid_geometry' });
    repository.checkGeometry.mockRejectedValueOnce(
      Object.assign(new Error('timeout'), { code: '57014' }),
    );
    await expect(sut.create(request)).rejects.toMatchObject({ code: '57014' });
  });

  it('requires an incident for perimeters', async () => {
    await expect(sut.create({ ...request, kind: 'perimeter' })).rejects.toMatchObject({
      code: 'perimeter_requires_incident',
    });
  });

  it('tells a version conflict from a missing fence on update', async () => {
    repository.update.mockResolvedValueOnce({ ok: false, currentVersion: 4 });
    await expect(sut.update({ agencyId: 'ag', id: 'x', expectedVersion: 3 })).rejects.toMatchObject(
      {
        code: 'geofence_version_conflict',
        status: 409,
      },
    );
    repository.update.mockResolvedValueOnce({ ok: false });
    await expect(sut.update({ agencyId: 'ag', id: 'x' })).rejects.toMatchObject({
      code: 'geofence_not_found',
    });
  });

  it('pages with an opaque cursor and rejects a forged one', async () => {
    repository.findPage.mockResolvedValue([
      row('01900000-0000-7000-8000-000000000001'),
      row('01900000-0000-7000-8000-000000000002'),
    ]);
    const page = await sut.list({ agencyId: 'ag', limit: 1 });
    expect(page.nextCursor).toBe(encodeCursor('01900000-0000-7000-8000-000000000001'));
    expect(decodeCursor(page.nextCursor as string)).toBe('01900000-0000-7000-8000-000000000001');
    await expect(sut.list({ agencyId: 'ag', limit: 1, cursor: 'bm9wZQ' })).rejects.toMatchObject({
      code: 'invalid_cursor',
    });
  });
});
