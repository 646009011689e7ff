import { geoServiceEnvSchema } from '../geo-service.config';
import {
  dayOfPartition,
  partitionName,
  type MaintenanceSession,
  type RetentionRepository,
} from './retention.repository';
import { RetentionService } from './retention.service';

const DAY = 86_400_000;
const NOW = new Date('2026-11-22T10:00:00.000Z');

describe('RetentionService', () => {
  let existing: Set<string>;
  let session: jest.Mocked<MaintenanceSession>;
  let sut: RetentionService;

  beforeEach(() => {
    existing = new Set(['positions_p20261101', 'positions_p20261112', 'positions_p20261121']);
    session = {
      partitions: jest.fn(() => Promise.resolve([...existing].sort())),
      createPartition: jest.fn((day: Date) => {
        const name = partitionName(day);
        const created = !existing.has(name);
        existing.add(name);
        return Promise.resolve(created);
      }),
      dropPartition: jest.fn((name: string) => {
        existing.delete(name);
        return Promise.resolve();
      }),
      agencyRetentions: jest.fn().mockResolvedValue([{ agencyId: 'short', days: 3 }]),
      deleteOlderThan: jest.fn().mockResolvedValue(7),
      deleteOlderThanExcept: jest.fn().mockResolvedValue(0),
    };
    const repository = {
      withMaintenanceLock: (fn: (s: MaintenanceSession) => Promise<unknown>) => fn(session),
    } as unknown as RetentionRepository;
    sut = new RetentionService(
      repository,
      { now: () => NOW },
      geoServiceEnvSchema.parse({
        POSITION_RETENTION_DAYS: '10',
        POSITION_MAX_FIX_AGE_H: '30',
        POSITION_PARTITIONS_AHEAD_DAYS: '2',
      }),
    );
  });

  it('creates partitions back and ahead, drops those past the longest retention, trims shorter ones', async () => {
    const report = await sut.runOnce();
    expect(report?.created).toEqual(['2026-11-20', '2026-11-22', '2026-11-23', '2026-11-24']);
    expect(report?.dropped).toEqual(['positions_p20261101']);
    expect(session.deleteOlderThan).toHaveBeenCalledWith(
      'short',
      new Date(NOW.getTime() - 3 * DAY),
    );
    expect(session.deleteOlderThanExcept).not.toHaveBeenCalled();
    expect(report?.deleted).toEqual({ short: 7 });
  });

  it('trims agencies on the default when another agency keeps history longer', async () => {
    session.agencyRetentions.mockResolvedValue([{ agencyId: 'long', days: 30 }]);
    const report = await sut.runOnce();
    expect(report?.dropped).toEqual([]);
    expect(session.deleteOlderThanExcept).toHaveBeenCalledWith(new Date(NOW.getTime() - 10 * DAY), [
      'long',
    ]);
  });

  it('parses partition names back to days', () => {
    expect(dayOfPartition('positions_p20261122')).toEqual(new Date('2026-11-22T00:00:00.000Z'));
    expect(dayOfPartition('outbox')).toBeUndefined();
  });
});
