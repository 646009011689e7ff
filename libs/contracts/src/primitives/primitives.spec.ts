import { z } from 'zod';
import { isStorableText, num, queryNumber, text, timestamp } from './primitives.schema';

describe('text()', () => {
  const sut = text().trim().min(1).max(10);

  it.each([['a\u0000b'], ['\u0000'], ['a\ud800'], ['\udc00a'], ['\ud800\ud800']])(
    'refuses %j with invalid_format',
    (value) => {
      const result = sut.safeParse(value);
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]).toMatchObject({
        code: 'invalid_format',
        format: 'invalid_text',
      });
    },
  );

  it('accepts well-formed text, astral characters included', () => {
    expect(sut.parse(' caf\u00e9 \ud83d\ude91 ')).toBe('caf\u00e9 \ud83d\ude91');
    expect(isStorableText('\ud83d\ude91')).toBe(true);
  });
});

describe('num()', () => {
  it('refuses subnormal numbers PostgreSQL float8 cannot store, keeps 0 and normal ones', () => {
    const sut = num();
    expect(sut.safeParse(5e-324).success).toBe(false);
    expect(sut.safeParse(-1e-310).success).toBe(false);
    expect(sut.safeParse(Number.POSITIVE_INFINITY).success).toBe(false);
    expect(sut.parse(0)).toBe(0);
    expect(sut.parse(2.2250738585072014e-308)).toBe(2.2250738585072014e-308);
    expect(sut.parse(-40.5)).toBe(-40.5);
  });
});

describe('queryNumber()', () => {
  const sut = z.object({ limit: queryNumber(num().int().min(1).max(500).default(100)) });

  it.each([['0x10'], [''], [' 5'], ['5 '], ['1e2'], ['016'], ['Infinity'], ['+5'], ['5.']])(
    'refuses %j instead of coercing it',
    (limit) => {
      expect(sut.safeParse({ limit }).success).toBe(false);
    },
  );

  it('reads plain decimals and keeps the default', () => {
    expect(sut.parse({ limit: '16' })).toEqual({ limit: 16 });
    expect(sut.parse({})).toEqual({ limit: 100 });
    expect(queryNumber(num()).parse('-3.25')).toBe(-3.25);
  });
});

describe('timestamp()', () => {
  it.each([
    ['0000-01-01T00:00:00Z'],
    ['1899-12-31T23:59:59Z'],
    ['2024-01-01T00:00:00+23:59'],
    ['2024-01-01T00:00:00-14:01'],
    ['9999-12-31T23:59:59-01:00'],
  ])('refuses %s', (value) => {
    expect(timestamp().safeParse(value).success).toBe(false);
  });

  it.each([['2024-01-01T00:00:00Z'], ['2024-01-01T00:00:00.123+14:00'], ['1900-01-01T00:00:00Z']])(
    'accepts %s',
    (value) => {
      expect(timestamp().parse(value)).toBe(value);
    },
  );
});
