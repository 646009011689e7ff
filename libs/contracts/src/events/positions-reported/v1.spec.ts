import { z } from 'zod';
import { parseEventData } from '../event-registry';
import { positionFixSchema } from '../../http/positions.schema';
import { isPlainPositionsReportedV1, PLAIN_FIX_KEYS, positionsReportedV1 } from './v1';

const fix = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  unitId: 'unit-1',
  position: { type: 'Point', coordinates: [13.4, 52.5] },
  recordedAt: '2026-12-07T10:00:00.123Z',
  seq: 7,
  accuracyM: 5,
  speedMps: 12.5,
  headingDeg: 90,
  deviceId: 'device-1',
  ...overrides,
});

/** The schema's verdict, as `parseEventData` reported it before the one-pass check existed. */
function zodVerdict(data: unknown) {
  const result = positionsReportedV1.safeParse(data);
  return result.success
    ? { success: true, data: result.data }
    : { success: false, error: z.prettifyError(result.error) };
}

/** Values that break some rule of some field, or sit on a bound of one. */
const ODD: unknown[] = [
  undefined,
  null,
  true,
  '',
  'x',
  'a'.repeat(100),
  'a'.repeat(101),
  'a'.repeat(200),
  'a'.repeat(201),
  'nul\u0000',
  'lone\ud800',
  '\ud83d\ude00',
  0,
  -0,
  1,
  -1,
  0.5,
  5e-324,
  -5e-324,
  2.2250738585072014e-308,
  360,
  360.0001,
  1_000_000,
  1_000_001,
  10_000,
  10_001,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 1,
  NaN,
  Infinity,
  -Infinity,
  [],
  {},
  [1, 2],
  [1, 2, 3],
  [1],
  ['1', 2],
  { type: 'Point', coordinates: [1, 2] },
  { type: 'Point', coordinates: [1, 2], extra: 1 },
  { type: 'point', coordinates: [1, 2] },
  { type: 'Point', coordinates: [NaN, 2] },
  { type: 'Point' },
  '2026-12-07T10:00:00Z',
  '2026-12-07T10:00Z',
  '2026-12-07T10:00:00+14:00',
  '2026-12-07T10:00:00+14:01',
  '2026-12-07T10:00:00-1400',
  '2026-02-29T10:00:00Z',
  '2024-02-29T10:00:00Z',
  '2026-12-07 10:00:00Z',
  '2026-12-07T10:00:00',
  '1899-12-31T23:59:59Z',
  '1900-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999Z',
  '9999-12-31T23:59:59.9999Z',
  '1900-01-01T00:00:00+01:00',
  '2026-12-07T24:00:00Z',
  '2026-12-07T10:00:00.1234567891Z',
];
const KEYS = [...Object.keys(fix()), 'extra', '__proto__x'];

describe('positions.reported v1: one-pass check', () => {
  it('knows the rules of every key of the fix schema (a new key needs its rules in the check)', () => {
    expect([...PLAIN_FIX_KEYS].sort()).toEqual(Object.keys(positionFixSchema.shape).sort());
  });

  it('accepts a plain batch, which parseEventData then hands on unchanged', () => {
    const data = {
      positions: [fix(), fix({ accuracyM: undefined }), { ...fix(), deviceId: undefined }].map(
        (f) => JSON.parse(JSON.stringify(f)) as unknown,
      ),
    };
    expect(isPlainPositionsReportedV1(data)).toBe(true);
    const parsed = parseEventData('positions.reported', 1, data);
    expect(parsed).toEqual(zodVerdict(data));
    expect(parsed.success && parsed.data).toBe(data);
  });

  it('leaves data the schema would refuse or change to the schema, with its message', () => {
    const cases: unknown[] = [
      null,
      [],
      {},
      { positions: [] },
      { positions: [fix()], extra: 1 },
      { positions: Array.from({ length: 501 }, () => fix()) },
      { positions: [fix({ extra: 1 })] },
      { positions: [fix({ accuracyM: undefined })] },
      { positions: [fix({ seq: -1 })] },
      { positions: [fix({ recordedAt: '2026-02-30T00:00:00Z' })] },
      { positions: [fix({ unitId: 'bad\u0000' })] },
    ];
    for (const data of cases) {
      expect(isPlainPositionsReportedV1(data)).toBe(false);
      expect(parseEventData('positions.reported', 1, data)).toEqual(zodVerdict(data));
    }
  });

  it('accepts only what the schema accepts and returns unchanged (every odd value in every field)', () => {
    let accepted = 0;
    let refused = 0;
    for (const key of KEYS) {
      for (const value of ODD) {
        const one = fix({ [key]: value });
        const data = { positions: [fix(), one] };
        const verdict = zodVerdict(data);
        const parsed = parseEventData('positions.reported', 1, data);
        expect(parsed).toEqual(verdict);
        if (isPlainPositionsReportedV1(data)) {
          accepted += 1;
          expect(verdict).toEqual({ success: true, data });
        } else {
          refused += 1;
        }
      }
    }
    // Both sides are exercised: bounds that pass, and values the check leaves to the schema.
    expect(accepted).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(200);
  });

  it('keeps its verdict consistent with the schema on random mixes of odd values', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    for (let round = 0; round < 2_000; round += 1) {
      const overrides: Record<string, unknown> = {};
      for (let n = Math.floor(random() * 3); n >= 0; n -= 1) {
        overrides[KEYS[Math.floor(random() * KEYS.length)]] =
          ODD[Math.floor(random() * ODD.length)];
      }
      const data = { positions: [fix(overrides)] };
      if (isPlainPositionsReportedV1(data)) {
        expect(zodVerdict(data)).toEqual({ success: true, data });
      }
    }
  });
});
