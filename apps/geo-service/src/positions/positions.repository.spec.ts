import { isMissingPartitionError, movedUnits, type StorableFix } from './positions.repository';

const fixOf = (unitId: string, at: string, seq: number): StorableFix => ({
  unitId,
  recordedAt: new Date(at),
  seq,
  lon: seq,
  lat: 0,
  accuracyM: null,
  speedMps: null,
  headingDeg: null,
  deviceId: null,
});

describe('movedUnits', () => {
  it('keeps the newest fix (device time, then sequence) of each moved unit only', () => {
    const fixes = [
      fixOf('b', '2026-11-22T12:00:01Z', 1),
      fixOf('a', '2026-11-22T12:00:00Z', 5),
      fixOf('a', '2026-11-22T12:00:00Z', 7),
      fixOf('a', '2026-11-22T11:59:59Z', 9),
      fixOf('c', '2026-11-22T12:00:00Z', 1),
    ];
    const moved = movedUnits(fixes, ['a', 'b'], new Set(['b']));
    expect(moved.map((unit) => [unit.unitId, unit.seq, unit.firstReport])).toEqual([
      ['a', 7, false],
      ['b', 1, true],
    ]);
    expect(moved[0].recordedAt.toISOString()).toBe('2026-11-22T12:00:00.000Z');
  });
});

describe('isMissingPartitionError', () => {
  it('recognises only the no-partition check violation', () => {
    expect(
      isMissingPartitionError({
        code: '23514',
        message: 'no partition of relation "positions" found for row',
      }),
    ).toBe(true);
    expect(isMissingPartitionError({ code: '23514', message: 'violates check constraint' })).toBe(
      false,
    );
    expect(isMissingPartitionError(new Error('no partition'))).toBe(false);
  });
});
