import { exceedsJsonDepth } from './json-depth';

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let level = 0; level < depth; level += 1) {
    value = level % 2 === 0 ? [value] : { a: value };
  }
  return value;
}

describe('exceedsJsonDepth', () => {
  it('accepts bodies up to the bound and scalars', () => {
    expect(exceedsJsonDepth(nested(64), 64)).toBe(false);
    expect(exceedsJsonDepth('x', 1)).toBe(false);
    expect(exceedsJsonDepth(null, 1)).toBe(false);
  });

  it('refuses one level more, and a 100,000-deep body without overflowing the stack', () => {
    expect(exceedsJsonDepth(nested(65), 64)).toBe(true);
    expect(exceedsJsonDepth(JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`))).toBe(true);
  });
});
