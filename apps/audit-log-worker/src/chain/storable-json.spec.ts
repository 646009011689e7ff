import fc from 'fast-check';
import { isStorableText } from '@gad/contracts';
import {
  fromStorableJson,
  fromStorableString,
  STORED_ESCAPE_MARK,
  toStorableJson,
  toStorableString,
} from './storable-json';

describe('storable JSON of audit entries', () => {
  it('escapes NUL and unpaired surrogates behind the mark and keeps other strings', () => {
    expect(toStorableString('plain \ud83d\ude91')).toBe('plain \ud83d\ude91');
    expect(toStorableString('a\u0000b')).toBe(`${STORED_ESCAPE_MARK}a${STORED_ESCAPE_MARK}0000b`);
    expect(toStorableString('\ud800x\udfff')).toBe(
      `${STORED_ESCAPE_MARK}${STORED_ESCAPE_MARK}d800x${STORED_ESCAPE_MARK}dfff`,
    );
    expect(toStorableString(`${STORED_ESCAPE_MARK}0000`)).toBe(
      `${STORED_ESCAPE_MARK}${STORED_ESCAPE_MARK}e0000000`,
    );
  });

  it('escapes keys and nested values', () => {
    const entry = { details: { 'k\u0000': ['\ud800', 1, null, { x: 'ok' }] } };
    const stored = toStorableJson(entry);
    expect(JSON.stringify(stored)).not.toMatch(/\\u0000|\\ud800/);
    expect(fromStorableJson(stored)).toEqual(entry);
  });

  it('round-trips any string and stores only storable text', () => {
    const units = fc.constantFrom(
      '\u0000',
      '\ud800',
      '\udfff',
      STORED_ESCAPE_MARK,
      'a',
      '0',
      '\ud83d\ude91',
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          fc.array(units).map((parts) => parts.join('')),
        ),
        (value) => {
          const stored = toStorableString(value);
          expect(isStorableText(stored)).toBe(true);
          expect(fromStorableString(stored)).toBe(value);
        },
      ),
    );
  });
});
