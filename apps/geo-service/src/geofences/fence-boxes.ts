/**
 * The bounding boxes of an agency's active geofences, held in geo-service's memory so the ingestion
 * sends PostgreSQL only the (fix, fence) pairs whose box holds the fix, instead of one GiST probe of
 * `geofences_area_idx` per fix (docs/adr/0034). A copy is tagged with the agency's fence version
 * (`geo.geofence_versions`, bumped by a trigger in the transaction of every fence change); the
 * `evaluate` statement compares the tag with the version in its own snapshot and probes the index
 * itself when they differ, so a stale copy is never used.
 */

/** Boxes are widened by this much (degrees) on every side: PostGIS's own box may round outward. */
const BOX_MARGIN_DEG = 1e-9;
/** Boxes covering more grid cells than this are tested for every fix instead. */
const MAX_CELLS_PER_BOX = 256;
/** Smallest grid cell side (degrees, about 10 m of latitude). */
const MIN_CELL_DEG = 1e-4;
/** Most cells of a grid (4 bytes each): the cell side grows to stay under it. */
const MAX_CELLS = 1 << 20;

/** What `geofences.repository.sql` `fence_boxes` returns: one box per polygon of each fence. */
export interface FenceBoxRows {
  version: string;
  ids: string[];
  minLon: number[];
  minLat: number[];
  maxLon: number[];
  maxLat: number[];
}

/**
 * A uniform grid over the boxes: the cell side is the median box side (larger when the grid would
 * exceed `MAX_CELLS` cells), so a typical box covers a few cells; boxes covering more than
 * `MAX_CELLS_PER_BOX` cells (a district, the whole world) are kept in a list tested for every fix.
 * The cells' box lists are stored compressed (one offset per cell into one array). Fences are
 * plain lon/lat polygons tested on their coordinates, so the boxes are in the same coordinates (a
 * fence cut at the antimeridian is a MultiPolygon whose parts get a box each).
 */
export class FenceBoxIndex {
  private readonly boxes: Float64Array;
  private readonly fenceOf: Int32Array;
  private readonly fenceIds: string[];
  /** Boxes of cell `c`: `entries[offsets[c]]` to `entries[offsets[c + 1] - 1]`. */
  private readonly offsets: Int32Array;
  private readonly entries: Int32Array;
  private readonly wide: number[] = [];
  private readonly originLon: number;
  private readonly originLat: number;
  private readonly cell: number;
  private readonly columns: number;
  private readonly rows: number;

  constructor(
    readonly version: string,
    rows: Omit<FenceBoxRows, 'version'>,
  ) {
    const count = rows.ids.length;
    const fenceIndex = new Map<string, number>();
    this.fenceIds = [];
    this.fenceOf = new Int32Array(count);
    this.boxes = new Float64Array(count * 4);
    const sides = new Float64Array(count);
    let originLon = Infinity;
    let originLat = Infinity;
    let endLon = -Infinity;
    let endLat = -Infinity;
    for (let i = 0; i < count; i += 1) {
      let fence = fenceIndex.get(rows.ids[i]);
      if (fence === undefined) {
        fence = this.fenceIds.length;
        this.fenceIds.push(rows.ids[i]);
        fenceIndex.set(rows.ids[i], fence);
      }
      this.fenceOf[i] = fence;
      const minLon = rows.minLon[i] - BOX_MARGIN_DEG;
      const minLat = rows.minLat[i] - BOX_MARGIN_DEG;
      const maxLon = rows.maxLon[i] + BOX_MARGIN_DEG;
      const maxLat = rows.maxLat[i] + BOX_MARGIN_DEG;
      this.boxes[i * 4] = minLon;
      this.boxes[i * 4 + 1] = minLat;
      this.boxes[i * 4 + 2] = maxLon;
      this.boxes[i * 4 + 3] = maxLat;
      sides[i] = Math.max(maxLon - minLon, maxLat - minLat);
      originLon = Math.min(originLon, minLon);
      originLat = Math.min(originLat, minLat);
      endLon = Math.max(endLon, maxLon);
      endLat = Math.max(endLat, maxLat);
    }
    if (count === 0) {
      originLon = originLat = endLon = endLat = 0;
    }
    sides.sort();
    const median = count > 0 ? sides[Math.floor(count / 2)] : 1;
    const area =
      Math.max(endLon - originLon, MIN_CELL_DEG) * Math.max(endLat - originLat, MIN_CELL_DEG);
    this.cell = Math.max(median, MIN_CELL_DEG, Math.sqrt(area / MAX_CELLS));
    this.originLon = originLon;
    this.originLat = originLat;
    this.columns = Math.floor((endLon - originLon) / this.cell) + 1;
    this.rows = Math.floor((endLat - originLat) / this.cell) + 1;

    // Two passes over the boxes: count per cell, then fill.
    const counts = new Int32Array(this.columns * this.rows + 1);
    const gridded = new Uint8Array(count);
    for (let i = 0; i < count; i += 1) {
      const [x0, y0, x1, y1] = this.span(i);
      if ((x1 - x0 + 1) * (y1 - y0 + 1) > MAX_CELLS_PER_BOX) {
        this.wide.push(i);
        continue;
      }
      gridded[i] = 1;
      for (let y = y0; y <= y1; y += 1) {
        for (let x = x0; x <= x1; x += 1) {
          counts[y * this.columns + x + 1] += 1;
        }
      }
    }
    for (let c = 1; c < counts.length; c += 1) {
      counts[c] += counts[c - 1];
    }
    this.offsets = counts;
    this.entries = new Int32Array(counts[counts.length - 1]);
    const fill = counts.slice(0, counts.length - 1);
    for (let i = 0; i < count; i += 1) {
      if (!gridded[i]) {
        continue;
      }
      const [x0, y0, x1, y1] = this.span(i);
      for (let y = y0; y <= y1; y += 1) {
        for (let x = x0; x <= x1; x += 1) {
          const c = y * this.columns + x;
          this.entries[fill[c]] = i;
          fill[c] += 1;
        }
      }
    }
  }

  /** Number of fences (not boxes) in the copy. */
  get fences(): number {
    return this.fenceIds.length;
  }

  /** Ids of the fences with a box holding the point (edges included), each once. */
  candidates(lon: number, lat: number): string[] {
    const found: number[] = [];
    const x = this.column(lon);
    const y = this.row(lat);
    if (x >= 0 && x < this.columns && y >= 0 && y < this.rows) {
      const c = y * this.columns + x;
      for (let e = this.offsets[c]; e < this.offsets[c + 1]; e += 1) {
        this.test(this.entries[e], lon, lat, found);
      }
    }
    for (const i of this.wide) {
      this.test(i, lon, lat, found);
    }
    return found.map((fence) => this.fenceIds[fence]);
  }

  private test(i: number, lon: number, lat: number, found: number[]): void {
    const boxes = this.boxes;
    const at = i * 4;
    if (
      lon >= boxes[at] &&
      lat >= boxes[at + 1] &&
      lon <= boxes[at + 2] &&
      lat <= boxes[at + 3] &&
      !found.includes(this.fenceOf[i])
    ) {
      found.push(this.fenceOf[i]);
    }
  }

  /** The cells box `i` covers: [first column, first row, last column, last row]. */
  private span(i: number): [number, number, number, number] {
    return [
      this.column(this.boxes[i * 4]),
      this.row(this.boxes[i * 4 + 1]),
      this.column(this.boxes[i * 4 + 2]),
      this.row(this.boxes[i * 4 + 3]),
    ];
  }

  private column(lon: number): number {
    return Math.floor((lon - this.originLon) / this.cell);
  }

  private row(lat: number): number {
    return Math.floor((lat - this.originLat) / this.cell);
  }
}

/** Agencies with more boxes than this are not copied: their fixes take the index probe. */
export const MAX_COPIED_BOXES = 100_000;
/** A copy found stale is reloaded at most this often per agency (the stale copy is unused meanwhile). */
const RELOAD_MIN_INTERVAL_MS = 500;

/**
 * Each agency's copy, loaded on first use and reloaded when a statement reports another version.
 * One load per agency at a time; until it completes the agency's fixes take the index probe.
 */
export class FenceBoxCache {
  private readonly copies = new Map<string, FenceBoxIndex | { version: string; tooMany: true }>();
  private readonly loading = new Map<string, Promise<void>>();
  private readonly lastLoad = new Map<string, number>();
  private readonly deferred = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly load: (agencyId: string) => Promise<FenceBoxRows>,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  /** The agency's copy, if one is loaded (it may be stale: the statement checks its version). */
  current(agencyId: string): FenceBoxIndex | undefined {
    const copy = this.copies.get(agencyId);
    return copy instanceof FenceBoxIndex ? copy : undefined;
  }

  /**
   * A statement saw the agency's fences at `version`: reload when the copy is another one, at
   * most every `RELOAD_MIN_INTERVAL_MS` (a reload due sooner is deferred, not dropped).
   */
  observed(agencyId: string, version: string): void {
    if (
      this.copies.get(agencyId)?.version === version ||
      this.loading.has(agencyId) ||
      this.deferred.has(agencyId)
    ) {
      return;
    }
    const last = this.lastLoad.get(agencyId);
    const wait = last === undefined ? 0 : last + RELOAD_MIN_INTERVAL_MS - performance.now();
    if (wait <= 0) {
      void this.refresh(agencyId).catch(this.onError);
      return;
    }
    const timer = setTimeout(() => {
      this.deferred.delete(agencyId);
      void this.refresh(agencyId).catch(this.onError);
    }, wait);
    timer.unref();
    this.deferred.set(agencyId, timer);
  }

  /** Loads the agency's copy now (joins a load under way). */
  refresh(agencyId: string): Promise<void> {
    const running = this.loading.get(agencyId);
    if (running) {
      return running;
    }
    this.lastLoad.set(agencyId, performance.now());
    const done = this.load(agencyId)
      .then((rows) => {
        const copy =
          rows.ids.length > MAX_COPIED_BOXES
            ? { version: rows.version, tooMany: true as const }
            : new FenceBoxIndex(rows.version, rows);
        const previous = this.copies.get(agencyId);
        // Versions only grow; a load that read an older one than the copy's is dropped.
        if (!previous || BigInt(previous.version) <= BigInt(rows.version)) {
          this.copies.set(agencyId, copy);
        }
      })
      .finally(() => this.loading.delete(agencyId));
    this.loading.set(agencyId, done);
    return done;
  }
}
