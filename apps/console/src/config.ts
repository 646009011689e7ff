/**
 * The deployment's settings, read at start from `config.json` served next to the console (the
 * console server writes it from its environment; see apps/console/README.md). Nothing here is a
 * secret: it is what any browser of the deployment may know.
 */
export interface ConsoleConfig {
  /** api-gateway base URL, e.g. `http://127.0.0.1:3000`. */
  apiUrl: string;
  /** ws-gateway base URL (socket.io, namespace `/dispatch`). */
  wsUrl: string;
  /** Basemap tiles (`{z}/{x}/{y}` template); null: a plain background with coordinates and scale. */
  tileUrl: string | null;
  tileAttribution: string | null;
  /** Where the map opens: [lat, lon]. */
  center: [number, number];
  zoom: number;
  /** A unit whose last fix is older than this is drawn as stale (seconds). */
  staleAfterS: number;
  /** Agency id offered on the login form (deployments with one agency). */
  agency: string | null;
}

const DEFAULTS: ConsoleConfig = {
  apiUrl: 'http://127.0.0.1:3000',
  wsUrl: 'http://127.0.0.1:3001',
  tileUrl: null,
  tileAttribution: null,
  center: [40.4168, -3.7038],
  zoom: 13,
  staleAfterS: 120,
  agency: null,
};

export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch('./config.json', { cache: 'no-store' });
  if (!response.ok) {
    throw new Error(`config.json: ${response.status}`);
  }
  const raw = (await response.json()) as Partial<ConsoleConfig>;
  return { ...DEFAULTS, ...raw };
}
