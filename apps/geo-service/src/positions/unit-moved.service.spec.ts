import type { Envelope } from '@gad/contracts';
import { geoServiceEnvSchema } from '../geo-service.config';
import type { MovedUnit } from './positions.repository';
import { UnitMovedService, UnitMovedSink } from './unit-moved.service';

class FakeSink extends UnitMovedSink {
  readonly batches: Envelope[][] = [];
  fail = false;

  publish(_stream: string, envelopes: readonly Envelope[]): Promise<unknown> {
    if (this.fail) {
      return Promise.reject(new Error('redis down'));
    }
    this.batches.push([...envelopes]);
    return Promise.resolve([]);
  }
}

const moved = (unitId: string, recordedAt: string, seq: number): MovedUnit => ({
  unitId,
  recordedAt: new Date(recordedAt),
  seq,
  lon: 1,
  lat: 2,
  accuracyM: 4,
  speedMps: null,
  headingDeg: null,
  firstReport: false,
});

describe('UnitMovedService', () => {
  let sink: FakeSink;
  let sut: UnitMovedService;

  beforeEach(() => {
    sink = new FakeSink();
    sut = new UnitMovedService(sink, geoServiceEnvSchema.parse({}));
  });

  it('publishes one event per unit per flush with the newest fix', async () => {
    sut.offer('ag', moved('u1', '2026-11-22T12:00:01.000Z', 2));
    sut.offer('ag', moved('u1', '2026-11-22T12:00:00.000Z', 1));
    sut.offer('ag', moved('u2', '2026-11-22T12:00:00.000Z', 1));
    sut.offer('other', moved('u1', '2026-11-22T12:00:00.000Z', 9));
    await sut.flush();
    expect(sink.batches).toHaveLength(1);
    expect(
      sink.batches[0].map((e) => [
        e.agencyId,
        e.type,
        (e.data as { unitId: string; seq: number }).unitId,
        (e.data as { seq: number }).seq,
      ]),
    ).toEqual([
      ['ag', 'unit.moved', 'u1', 2],
      ['ag', 'unit.moved', 'u2', 1],
      ['other', 'unit.moved', 'u1', 9],
    ]);
    expect(sink.batches[0][0].data).toEqual({
      unitId: 'u1',
      position: { type: 'Point', coordinates: [1, 2] },
      recordedAt: '2026-11-22T12:00:01.000Z',
      seq: 2,
      accuracyM: 4,
    });
    await sut.flush();
    expect(sink.batches).toHaveLength(1);
  });

  it('drops a batch it could not publish instead of growing', async () => {
    sink.fail = true;
    sut.offer('ag', moved('u1', '2026-11-22T12:00:00.000Z', 1));
    await sut.flush();
    sink.fail = false;
    await sut.flush();
    expect(sink.batches).toEqual([]);
  });
});
