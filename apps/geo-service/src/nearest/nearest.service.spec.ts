import { geoServiceEnvSchema } from '../geo-service.config';
import type { NearestRepository, NearestRow } from '@gad/geo-read';
import { NearestService } from './nearest.service';

const NOW = new Date('2026-11-22T12:00:00.000Z');

const rowAt = (unitId: string, distance: number): NearestRow => ({
  unit_id: unitId,
  call_sign: null,
  capabilities: [],
  lon: 1,
  lat: 2,
  recorded_at: NOW,
  distance_m: distance,
  age_s: 3.04,
});

describe('NearestService', () => {
  let repository: jest.Mocked<Pick<NearestRepository, 'nearestAvailable' | 'exclusions'>>;
  let sut: NearestService;

  beforeEach(() => {
    repository = {
      nearestAvailable: jest.fn(),
      exclusions: jest
        .fn()
        .mockResolvedValue({ busy: 2, stale: 1, missing_capability: 0, unknown_status: 0 }),
    };
    sut = new NearestService(
      repository as unknown as NearestRepository,
      { now: () => NOW },
      geoServiceEnvSchema.parse({ NEAREST_EXCLUSION_SCAN_LIMIT: '500' }),
    );
  });

  it('counts exclusions up to the last answered unit when the list is full', async () => {
    repository.nearestAvailable.mockResolvedValue([rowAt('a', 100), rowAt('b', 250.04)]);
    const reply = await sut.nearest({
      agencyId: 'ag',
      lon: 1,
      lat: 2,
      limit: 2,
      maxAgeS: 60,
      capabilities: ['als', 'als'],
    });
    expect(repository.nearestAvailable).toHaveBeenCalledWith({
      agencyId: 'ag',
      lon: 1,
      lat: 2,
      limit: 2,
      capabilities: ['als'],
      oldest: new Date(NOW.getTime() - 60_000),
      radiusM: 20_100_000,
    });
    expect(repository.exclusions).toHaveBeenCalledWith(expect.anything(), 250.04, 500);
    expect(reply).toEqual({
      items: [
        expect.objectContaining({ unitId: 'a', distanceM: 100, ageS: 3 }),
        expect.objectContaining({ unitId: 'b', distanceM: 250 }),
      ],
      excluded: { busy: 2, stale: 1, missingCapability: 0, unknownStatus: 0 },
    });
  });

  it('counts exclusions over the whole radius when fewer units were found', async () => {
    repository.nearestAvailable.mockResolvedValue([rowAt('a', 100)]);
    await sut.nearest({ agencyId: 'ag', lon: 1, lat: 2, limit: 5, maxDistanceM: 3_000 });
    expect(repository.exclusions).toHaveBeenCalledWith(
      // No maxAgeS: the default staleness limit (NEAREST_MAX_POSITION_AGE_S, 300 s).
      expect.objectContaining({ radiusM: 3_000, oldest: new Date(NOW.getTime() - 300_000) }),
      3_000,
      500,
    );
  });
});
