import type { PositionFix } from '@gad/contracts';
import { geoServiceEnvSchema } from '../geo-service.config';
import type { GeofencesRepository } from '../geofences/geofences.repository';
import type { GeoOutbox } from '../geofences/geo-outbox.service';
import type { RetentionService } from '../retention/retention.service';
import type { IngestOutcome, PositionsRepository, StorableFix } from './positions.repository';
import {
  geofenceRounds,
  haversineM,
  PositionsService,
  validateBatch,
  type FixLimits,
} from './positions.service';
import type { UnitMovedService } from './unit-moved.service';

const NOW = new Date('2026-11-22T12:00:00.000Z');
const limits: FixLimits = {
  maxAccuracyM: 100,
  maxSpeedMps: 50,
  maxFutureSkewMs: 60_000,
  maxFixAgeMs: 3_600_000,
};

function fix(
  unitId: string,
  lon: number,
  lat: number,
  secondsBeforeNow: number,
  seq: number,
  accuracyM?: number,
): PositionFix {
  return {
    unitId,
    position: { type: 'Point', coordinates: [lon, lat] },
    recordedAt: new Date(NOW.getTime() - secondsBeforeNow * 1000).toISOString(),
    seq,
    ...(accuracyM === undefined ? {} : { accuracyM }),
  };
}

const storable = (unitId: string, secondsBeforeNow: number, seq: number): StorableFix => ({
  unitId,
  recordedAt: new Date(NOW.getTime() - secondsBeforeNow * 1000),
  seq,
  lon: 1,
  lat: 1,
  accuracyM: null,
  speedMps: null,
  headingDeg: null,
  deviceId: null,
});

describe('geofenceRounds', () => {
  it('runs each unit’s fixes in device-time then sequence order, one fix per unit per round', () => {
    const rounds = geofenceRounds(
      [storable('a', 0, 9), storable('b', 3, 1), storable('a', 10, 1), storable('a', 10, 2)],
      new Set(['a']),
      new Map([['b', { unitId: 'b', lon: 0, lat: 0, recordedAt: NOW, accuracyM: 30 }]]),
    );
    expect(
      rounds.map((round) => round.map((fix) => [fix.unitId, fix.recordedAt, fix.firstReport])),
    ).toEqual([
      [
        ['a', new Date(NOW.getTime() - 10_000), true],
        ['b', new Date(NOW.getTime() - 3_000), false],
      ],
      [['a', new Date(NOW.getTime() - 10_000), false]],
      [['a', NOW, false]],
    ]);
    expect(rounds[0][1]).toMatchObject({ previousAt: NOW, previousAccuracyM: 30 });
    expect(rounds[0][0]).toMatchObject({ previousAt: null, previousAccuracyM: null });
  });
});

describe('haversineM', () => {
  it('measures one degree of latitude as about 111 km', () => {
    expect(haversineM(0, 0, 0, 1)).toBeCloseTo(111_195, -1);
  });
});

describe('validateBatch', () => {
  it('rejects out-of-range, inaccurate, future and too old fixes with their index', () => {
    const result = validateBatch(
      [
        fix('a', 0, 91, 10, 1),
        fix('a', 0, 0, 10, 2, 500),
        fix('a', 0, 0, -120, 3),
        fix('a', 0, 0, 7200, 4),
        fix('a', 0, 0, 10, 5),
      ],
      new Map(),
      NOW,
      limits,
    );
    expect(result.rejected.map((r) => [r.index, r.reason])).toEqual([
      [0, 'out_of_range'],
      [1, 'accuracy'],
      [2, 'future_timestamp'],
      [3, 'too_old'],
    ]);
    expect(result.fixes.map((f) => f.seq)).toEqual([5]);
  });

  it('checks speed in device-time order against the last accepted fix, forgiving accuracy', () => {
    // 1 km every 10 s is 100 m/s: too fast; 400 m in 10 s is fine.
    const result = validateBatch(
      [
        fix('a', 0, 0.009, 10, 3), // ~1 km from seq 1 in 10 s: teleport
        fix('a', 0, 0, 20, 1),
        fix('a', 0, 0.0036, 0, 4), // ~400 m from seq 1 in 20 s
      ],
      new Map(),
      NOW,
      limits,
    );
    expect(result.rejected).toEqual([{ index: 0, unitId: 'a', reason: 'teleport' }]);
    expect(result.fixes.map((f) => f.seq).sort()).toEqual([1, 4]);

    const forgiven = validateBatch(
      [fix('b', 0, 0.009, 10, 2, 100)],
      new Map([
        [
          'b',
          {
            unitId: 'b',
            lon: 0,
            lat: 0,
            recordedAt: new Date(NOW.getTime() - 20_000),
            accuracyM: 100,
          },
        ],
      ]),
      NOW,
      { ...limits, maxAccuracyM: 1000 },
    );
    // 1,000 m minus 200 m of accuracy in 10 s = 80 m/s: still too fast; with 500 m each it passes.
    expect(forgiven.rejected).toHaveLength(1);
    const lenient = validateBatch(
      [fix('b', 0, 0.009, 10, 2, 500)],
      new Map([
        [
          'b',
          {
            unitId: 'b',
            lon: 0,
            lat: 0,
            recordedAt: new Date(NOW.getTime() - 20_000),
            accuracyM: 500,
          },
        ],
      ]),
      NOW,
      { ...limits, maxAccuracyM: 1000 },
    );
    expect(lenient.rejected).toEqual([]);
  });
});

describe('PositionsService', () => {
  const config = geoServiceEnvSchema.parse({});
  let positions: jest.Mocked<
    Pick<PositionsRepository, 'latestOf' | 'ingest' | 'transaction' | 'useGenericPlans'>
  >;
  let geofences: jest.Mocked<Pick<GeofencesRepository, 'evaluate' | 'unitsTouchingFences'>>;
  let retention: jest.Mocked<Pick<RetentionService, 'ensurePartitionsFor'>>;
  let outbox: jest.Mocked<Pick<GeoOutbox, 'nudge'>>;
  let unitMoved: jest.Mocked<Pick<UnitMovedService, 'offer'>>;
  let sut: PositionsService;
  const tx = { tx: true };

  const outcome: IngestOutcome = {
    inserted: 2,
    late: 1,
    moved: [
      {
        unitId: 'u1',
        recordedAt: NOW,
        seq: 2,
        lon: 1,
        lat: 1,
        accuracyM: null,
        speedMps: null,
        headingDeg: null,
        firstReport: false,
      },
    ],
    stored: [storable('u1', 0, 2), storable('u1', 5, 1)],
    firstReports: new Set(),
  };

  beforeEach(() => {
    positions = {
      latestOf: jest.fn().mockResolvedValue([]),
      ingest: jest.fn().mockResolvedValue(outcome),
      transaction: jest.fn((fn) => fn(tx as never)),
      useGenericPlans: jest.fn().mockResolvedValue(undefined),
    } as never;
    geofences = {
      evaluate: jest.fn().mockResolvedValue(new Map([['geofence.entered', 1]])),
      unitsTouchingFences: jest.fn().mockResolvedValue(new Set(['u1'])),
    };
    retention = { ensurePartitionsFor: jest.fn().mockResolvedValue(undefined) };
    outbox = { nudge: jest.fn() };
    unitMoved = { offer: jest.fn() };
    sut = new PositionsService(
      positions as unknown as PositionsRepository,
      geofences as unknown as GeofencesRepository,
      retention as unknown as RetentionService,
      outbox as unknown as GeoOutbox,
      unitMoved as unknown as UnitMovedService,
      { now: () => NOW },
      config,
    );
  });

  it('stores valid fixes, evaluates geofences in the same transaction and offers moved units', async () => {
    const result = await sut.ingest(
      'ag',
      [fix('u1', 1, 1, 5, 1), fix('u1', 1, 1, 5, 1), fix('u1', 1, 1, 0, 2)],
      'tp',
    );
    expect(result).toEqual({ accepted: 2, late: 1, duplicates: 1, rejected: [] });
    expect(positions.ingest).toHaveBeenCalledWith(tx, 'ag', expect.any(Array));
    // Every stored fix, in device-time order.
    expect(geofences.evaluate).toHaveBeenNthCalledWith(
      1,
      tx,
      'ag',
      [expect.objectContaining({ unitId: 'u1', recordedAt: new Date(NOW.getTime() - 5000) })],
      'gad:geo:events',
      'tp',
    );
    expect(geofences.evaluate).toHaveBeenNthCalledWith(
      2,
      tx,
      'ag',
      [expect.objectContaining({ unitId: 'u1', recordedAt: NOW })],
      'gad:geo:events',
      'tp',
    );
    expect(outbox.nudge).toHaveBeenCalledTimes(1);
    expect(unitMoved.offer).toHaveBeenCalledWith('ag', outcome.moved[0]);
  });

  it('leaves out of a multi-fix batch the units whose fixes concern no fence', async () => {
    positions.ingest.mockResolvedValue({
      ...outcome,
      stored: [storable('u1', 0, 2), storable('u1', 5, 1), storable('far', 3, 1)],
    });
    await sut.ingest('ag', [fix('u1', 1, 1, 5, 1), fix('u1', 1, 1, 0, 2), fix('far', 1, 1, 3, 1)]);
    expect(geofences.unitsTouchingFences).toHaveBeenCalledWith(tx, 'ag', expect.any(Array));
    const evaluated = geofences.evaluate.mock.calls.flatMap(([, , round]) =>
      round.map((fenceFix) => fenceFix.unitId),
    );
    expect(evaluated).toEqual(['u1', 'u1']);
  });

  it('does not touch the database when every fix is rejected', async () => {
    const result = await sut.ingest('ag', [fix('u1', 500, 1, 5, 1)]);
    expect(result.rejected).toHaveLength(1);
    expect(positions.transaction).not.toHaveBeenCalled();
  });

  it('creates missing partitions and retries once', async () => {
    positions.ingest.mockRejectedValueOnce(
      Object.assign(new Error('no partition of relation "positions" found for row'), {
        code: '23514',
      }),
    );
    const result = await sut.ingest('ag', [fix('u1', 1, 1, 5, 1)]);
    expect(retention.ensurePartitionsFor).toHaveBeenCalledWith([new Date(NOW.getTime() - 5000)]);
    expect(result.accepted).toBe(2);
    expect(positions.transaction).toHaveBeenCalledTimes(2);
  });

  it('rejects track ranges that are empty or longer than 7 days', async () => {
    await expect(
      sut.track({
        agencyId: 'ag',
        unitId: 'u',
        from: NOW.toISOString(),
        to: NOW.toISOString(),
        limit: 10,
      }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
  });
});
