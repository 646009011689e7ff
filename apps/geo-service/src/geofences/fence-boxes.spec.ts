import { FenceBoxCache, FenceBoxIndex, type FenceBoxRows } from './fence-boxes';

/** Rows as `fence_boxes` returns them: [id, minLon, minLat, maxLon, maxLat] per box. */
function rows(
  version: string,
  boxes: Array<[string, number, number, number, number]>,
): FenceBoxRows {
  return {
    version,
    ids: boxes.map((box) => box[0]),
    minLon: boxes.map((box) => box[1]),
    minLat: boxes.map((box) => box[2]),
    maxLon: boxes.map((box) => box[3]),
    maxLat: boxes.map((box) => box[4]),
  };
}

describe('FenceBoxIndex', () => {
  const index = new FenceBoxIndex(
    '7',
    rows('7', [
      ['small-a', -3.7, 40.4, -3.68, 40.42],
      ['small-b', -3.69, 40.41, -3.67, 40.43],
      ['far', 2.1, 41.3, 2.12, 41.32],
      ['district', -4, 40, -3, 41],
      // A fence cut at the antimeridian: one box per part.
      ['fiji', 179, -19, 180, -16],
      ['fiji', -180, -19, -179, -16],
    ]),
  );

  it('finds every fence whose box holds the point, edges included, each once', () => {
    expect(index.fences).toBe(5);
    expect(index.candidates(-3.685, 40.415).sort()).toEqual(['district', 'small-a', 'small-b']);
    expect(index.candidates(-3.7, 40.4).sort()).toEqual(['district', 'small-a']);
    expect(index.candidates(-3.67, 40.43).sort()).toEqual(['district', 'small-b']);
    expect(index.candidates(2.11, 41.31)).toEqual(['far']);
    expect(index.candidates(179.5, -17)).toEqual(['fiji']);
    expect(index.candidates(-179.5, -17)).toEqual(['fiji']);
    expect(index.candidates(180, -17)).toEqual(['fiji']);
  });

  it('finds nothing outside every box, also beyond the grid', () => {
    expect(index.candidates(0, 0)).toEqual([]);
    expect(index.candidates(-3.5, 41.5)).toEqual([]);
    expect(index.candidates(-180, 90)).toEqual([]);
    expect(index.candidates(170, -17)).toEqual([]);
  });

  it('holds an agency without fences and a whole-world fence', () => {
    expect(new FenceBoxIndex('0', rows('0', [])).candidates(1, 1)).toEqual([]);
    const world = new FenceBoxIndex('3', rows('3', [['world', -180, -90, 180, 90]]));
    expect(world.candidates(-180, -90)).toEqual(['world']);
    expect(world.candidates(12.3, 45.6)).toEqual(['world']);
  });

  it('agrees with testing every box on random points', () => {
    let state = 42;
    const random = () => {
      state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
      return state / 2_147_483_648;
    };
    const boxes: Array<[string, number, number, number, number]> = [];
    for (let i = 0; i < 500; i += 1) {
      const lon = -4 + random() * 0.8;
      const lat = 40 + random() * 0.8;
      const size = random() < 0.05 ? random() * 0.5 : 0.02;
      boxes.push([`f${i}`, lon, lat, lon + size, lat + size]);
    }
    const many = new FenceBoxIndex('1', rows('1', boxes));
    for (let n = 0; n < 2_000; n += 1) {
      const lon = -4.1 + random();
      const lat = 39.9 + random();
      const expected = boxes
        .filter((box) => lon >= box[1] && lat >= box[2] && lon <= box[3] && lat <= box[4])
        .map((box) => box[0])
        .sort();
      expect(many.candidates(lon, lat).sort()).toEqual(expected);
    }
  });
});

describe('FenceBoxCache', () => {
  it('loads on first sight, reloads only for another version and keeps the newest', async () => {
    let version = 5;
    let loads = 0;
    const cache = new FenceBoxCache(async () => {
      loads += 1;
      return rows(String(version), [['a', 0, 0, 1, 1]]);
    });
    expect(cache.current('agency')).toBeUndefined();
    await cache.refresh('agency');
    expect(cache.current('agency')?.version).toBe('5');
    cache.observed('agency', '5');
    expect(loads).toBe(1);
    version = 9;
    await cache.refresh('agency');
    expect(cache.current('agency')?.version).toBe('9');
    // A load that read an older version than the copy's (a slow replica's snapshot) is dropped.
    version = 8;
    await cache.refresh('agency');
    expect(cache.current('agency')?.version).toBe('9');
  });
});
