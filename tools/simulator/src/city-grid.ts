/** A rectangular street grid over a real city's extent, on which simulated units drive. */
export interface City {
  name: string;
  /** `[west, south, east, north]` in degrees. */
  bbox: [number, number, number, number];
  /** Distance between parallel streets, metres. */
  blockM: number;
}

/** Central Madrid, inside the M-30 ring (roughly Moncloa to Ventas, Chamartín to Legazpi). */
export const MADRID: City = { name: 'Madrid', bbox: [-3.735, 40.385, -3.66, 40.47], blockM: 180 };

const EARTH_M_PER_DEG_LAT = 111_320;

export interface GridPoint {
  lon: number;
  lat: number;
}

/** Node `(col, row)` of the grid. */
export interface Node {
  col: number;
  row: number;
}

export class CityGrid {
  readonly cols: number;
  readonly rows: number;
  private readonly dLon: number;
  private readonly dLat: number;

  constructor(
    readonly city: City,
    private readonly random: () => number = Math.random,
  ) {
    const [west, south, east, north] = city.bbox;
    const midLat = ((south + north) / 2) * (Math.PI / 180);
    this.dLat = city.blockM / EARTH_M_PER_DEG_LAT;
    this.dLon = city.blockM / (EARTH_M_PER_DEG_LAT * Math.cos(midLat));
    this.cols = Math.max(2, Math.floor((east - west) / this.dLon) + 1);
    this.rows = Math.max(2, Math.floor((north - south) / this.dLat) + 1);
  }

  pointOf(node: Node): GridPoint {
    return {
      lon: this.city.bbox[0] + node.col * this.dLon,
      lat: this.city.bbox[1] + node.row * this.dLat,
    };
  }

  randomNode(): Node {
    return {
      col: Math.floor(this.random() * this.cols),
      row: Math.floor(this.random() * this.rows),
    };
  }

  /** A random point somewhere along a street (for incidents). */
  randomStreetPoint(): GridPoint {
    const from = this.randomNode();
    const to = this.neighbours(from)[0];
    return interpolate(this.pointOf(from), this.pointOf(to), this.random());
  }

  neighbours(node: Node): Node[] {
    const candidates = [
      { col: node.col + 1, row: node.row },
      { col: node.col - 1, row: node.row },
      { col: node.col, row: node.row + 1 },
      { col: node.col, row: node.row - 1 },
    ].filter((n) => n.col >= 0 && n.row >= 0 && n.col < this.cols && n.row < this.rows);
    // Shuffle so the first one is a random choice.
    for (let i = candidates.length - 1; i > 0; i -= 1) {
      const j = Math.floor(this.random() * (i + 1));
      [candidates[i], candidates[j]] = [candidates[j], candidates[i]];
    }
    return candidates;
  }
}

export function interpolate(a: GridPoint, b: GridPoint, t: number): GridPoint {
  return { lon: a.lon + (b.lon - a.lon) * t, lat: a.lat + (b.lat - a.lat) * t };
}

/** Degrees clockwise from north, from a to b (flat approximation: blocks are short). */
export function headingDeg(a: GridPoint, b: GridPoint): number {
  const dx = (b.lon - a.lon) * Math.cos((a.lat * Math.PI) / 180);
  const dy = b.lat - a.lat;
  return ((Math.atan2(dx, dy) * 180) / Math.PI + 360) % 360;
}

/**
 * A vehicle driving block to block: at each intersection it turns at random (never straight back
 * unless it must), at its own cruising speed with a little variation.
 */
export class Driver {
  private from: Node;
  private to: Node;
  private progressM = 0;
  private speedMps: number;

  constructor(
    private readonly grid: CityGrid,
    private readonly random: () => number = Math.random,
    private readonly cruiseMps = 7 + random() * 7,
  ) {
    this.from = grid.randomNode();
    this.to = grid.neighbours(this.from)[0];
    this.progressM = random() * grid.city.blockM;
    this.speedMps = this.cruiseMps;
  }

  /** Advances by `seconds`; returns where the vehicle is, its speed and heading. */
  advance(seconds: number): { point: GridPoint; speedMps: number; headingDeg: number } {
    this.speedMps = Math.max(0, this.cruiseMps * (0.7 + this.random() * 0.6));
    this.progressM += this.speedMps * seconds;
    const block = this.grid.city.blockM;
    while (this.progressM >= block) {
      this.progressM -= block;
      const next = this.grid.neighbours(this.to);
      const forward = next.find((n) => n.col !== this.from.col || n.row !== this.from.row);
      this.from = this.to;
      this.to = forward ?? next[0];
    }
    const a = this.grid.pointOf(this.from);
    const b = this.grid.pointOf(this.to);
    return {
      point: interpolate(a, b, this.progressM / block),
      speedMps: this.speedMps,
      headingDeg: headingDeg(a, b),
    };
  }
}
