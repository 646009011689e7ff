import type { PositionFix } from '@gad/contracts';
import { geoServiceEnvSchema } from '../geo-service.config';
import { IngestBatcher } from './ingest-batcher.service';
import type { PositionsService } from './positions.service';

const fixOf = (unitId: string, seq: number): PositionFix => ({
  unitId,
  position: { type: 'Point', coordinates: [0, 0] },
  recordedAt: '2026-11-22T12:00:00.000Z',
  seq,
});

describe('IngestBatcher', () => {
  const config = geoServiceEnvSchema.parse({
    INGEST_BATCH_MAX: '3',
    INGEST_BATCH_DELAY_MS: '5000',
  });
  let ingest: jest.Mock;
  let sut: IngestBatcher;

  beforeEach(() => {
    ingest = jest.fn().mockResolvedValue({ accepted: 0, late: 0, duplicates: 0, rejected: [] });
    sut = new IngestBatcher({ ingest } as unknown as PositionsService, config);
  });

  afterEach(async () => {
    await sut.drain();
  });

  it('merges submissions of one agency into one batch when it is full', async () => {
    const first = sut.submit('ag', [fixOf('a', 1)], 'tp-1');
    const second = sut.submit('ag', [fixOf('b', 1), fixOf('c', 1)], 'tp-2');
    await Promise.all([first, second]);
    expect(ingest).toHaveBeenCalledTimes(1);
    expect(ingest).toHaveBeenCalledWith(
      'ag',
      [fixOf('a', 1), fixOf('b', 1), fixOf('c', 1)],
      'tp-1',
    );
  });

  it('keeps agencies apart and flushes a batch that would overflow', async () => {
    const a = sut.submit('ag-1', [fixOf('a', 1), fixOf('a', 2)]);
    const b = sut.submit('ag-2', [fixOf('b', 1)]);
    const c = sut.submit('ag-1', [fixOf('a', 3), fixOf('a', 4)]);
    await sut.drain();
    await Promise.all([a, b, c]);
    expect(
      ingest.mock.calls.map(([agency, fixes]) => [agency, (fixes as PositionFix[]).length]),
    ).toEqual([
      ['ag-1', 2],
      ['ag-2', 1],
      ['ag-1', 2],
    ]);
  });

  it('rejects every submission of a failed batch so the entries are retried', async () => {
    ingest.mockRejectedValueOnce(new Error('db down'));
    const a = sut.submit('ag', [fixOf('a', 1)]);
    const b = sut.submit('ag', [fixOf('b', 1)]);
    await sut.drain();
    await expect(a).rejects.toThrow('db down');
    await expect(b).rejects.toThrow('db down');
  });
});
