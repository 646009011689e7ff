import { testStack } from '@gad/testing';
import { Client } from 'pg';
import { boolArray, numberArray, textArray, timestampArray } from '@gad/platform';

describe('array literals of the batch statements (real PostgreSQL)', () => {
  const client = new Client({ connectionString: testStack.databaseUrl });

  beforeAll(() => client.connect());
  afterAll(() => client.end());

  it('reads back exactly what was written, including quotes, separators and nulls', async () => {
    const texts = [
      'u-1',
      'with "quotes"',
      'back\\slash',
      'a,b',
      '{braces}',
      ' spaced ',
      '',
      'NULL',
      'ñandú 🚓',
      null,
    ];
    const numbers = [0, -1.5, 40.416775, -3.70379, 1e-7, 123456789012, null];
    const times = [new Date('2026-12-02T06:30:00.123Z'), '2026-12-02T06:30:01.000Z'];
    const flags = [true, false, true];
    const { rows } = await client.query<{
      t: Array<string | null>;
      n: Array<number | null>;
      ts: Date[];
      b: boolean[];
    }>('SELECT $1::text[] AS t, $2::float8[] AS n, $3::timestamptz[] AS ts, $4::bool[] AS b', [
      textArray(texts),
      numberArray(numbers),
      timestampArray(times),
      boolArray(flags),
    ]);
    expect(rows[0]?.t).toEqual(texts);
    expect(rows[0]?.n).toEqual(numbers);
    expect(rows[0]?.ts.map((time) => time.toISOString())).toEqual([
      '2026-12-02T06:30:00.123Z',
      '2026-12-02T06:30:01.000Z',
    ]);
    expect(rows[0]?.b).toEqual(flags);
  });

  it('gives empty arrays for no elements', async () => {
    const { rows } = await client.query<{ t: string[]; n: number[] }>(
      'SELECT $1::text[] AS t, $2::bigint[] AS n',
      [textArray([]), numberArray([])],
    );
    expect(rows[0]).toEqual({ t: [], n: [] });
  });
});
