import { connectDispatch, createGadClient, type GadRestClient } from '@gad/client';
import {
  createAuditSigningKeyPem,
  createTestEnvironment,
  startTestApp,
  waitFor,
  type ServiceProcess,
  type TestEnvironment,
} from '@gad/testing';
import { Client } from 'pg';

/**
 * Nothing acknowledged goes unaudited (docs/adr/0021): under a steady write load, api-gateway and
 * then the audit-log-worker are killed with SIGKILL again and again (no shutdown hook runs), and
 * restarted. Afterwards every change that PostgreSQL holds (each incident and unit created, each
 * unit status change) has its audit entry in the chain, and every request that was answered 2xx
 * is among those changes: 0 missing. Bounded in count (rounds, writes per round) and in time.
 */
const ROUNDS = 3;
const WRITES_PER_ROUND = 25;
const WORKERS = 4;

describe('audit entries survive SIGKILL under write load', () => {
  const agencyId = `agency-${Date.now().toString(36)}`;
  let environment: TestEnvironment | undefined;
  const services: Record<string, ServiceProcess> = {};
  let db: Client | undefined;

  beforeAll(async () => {
    const env = await createTestEnvironment({
      AUDIT_SIGNING_KEY: createAuditSigningKeyPem(),
      OUTBOX_POLL_MS: '100',
    });
    environment = env;
    services['audit-log-worker'] = await startTestApp('audit-log-worker', env);
    services['api-gateway'] = await startTestApp('api-gateway', env);
    services['ws-gateway'] = await startTestApp('ws-gateway', env);
    db = new Client({ connectionString: env.database.url });
    await db.connect();
  }, 180_000);

  afterAll(async () => {
    await db?.end();
    await Promise.all(Object.values(services).map((service) => service.stop()));
    await environment?.cleanUp();
  }, 60_000);

  afterEach(() => {
    const state = expect.getState();
    if (state.assertionCalls !== state.numPassingAsserts) {
      for (const service of Object.values(services)) {
        console.log(service.tail(40));
      }
    }
  });

  it('0 changes without their audit entry after repeated SIGKILLs of api-gateway and the audit worker', async () => {
    const env = environment as TestEnvironment;
    const token = await env.signToken({
      userId: 'dispatcher-1',
      agencyId,
      roles: ['dispatcher', 'supervisor'],
      expiresInS: 3_600,
    });
    const client = (): GadRestClient =>
      createGadClient({
        baseUrl: services['api-gateway'].url,
        accessToken: token,
        retry: { retries: 0 },
        timeoutMs: 5_000,
      });
    const acknowledged = { incidents: new Set<string>(), units: new Set<string>(), moves: 0 };
    let writes = 0;
    let running = true;
    let sequence = 0;

    // Each worker: create an incident, create a unit, move the unit to available; errors while
    // the gateway is down are expected and ignored (the change may or may not have committed).
    const worker = async (index: number): Promise<void> => {
      while (running) {
        try {
          const api = client();
          const n = (sequence += 1);
          const { body: incident } = await api.incidents.create({
            type: 'structure_fire',
            priority: 'P2',
            location: { type: 'Point', coordinates: [-3.7 + n / 10_000, 40.41] },
            address: `Calle ${index}-${n}`,
          });
          acknowledged.incidents.add(incident.id);
          const { body: unit } = await api.call('createUnit', {
            body: { callSign: `K-${index}-${n}`, type: 'patrol' },
          });
          acknowledged.units.add(unit.id);
          await api.call('changeUnitStatus', {
            params: { id: unit.id },
            body: { status: 'available' },
          });
          acknowledged.moves += 1;
          writes += 3;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    };
    const load = Array.from({ length: WORKERS }, (_, index) => worker(index));

    try {
      for (let round = 0; round < ROUNDS; round += 1) {
        for (const victim of ['api-gateway', 'audit-log-worker']) {
          const target = writes + WRITES_PER_ROUND;
          await waitFor(() => writes >= target, {
            description: `${WRITES_PER_ROUND} acknowledged writes before killing ${victim}`,
            timeoutMs: 60_000,
          });
          await services[victim].kill();
          services[victim] = await startTestApp(victim, env);
        }
      }
    } finally {
      running = false;
      await Promise.all(load);
    }

    // What PostgreSQL holds is what changed: each needs its entry in the audit chain.
    const pg = db as Client;
    const incidents = (await pg.query<{ id: string }>('SELECT id FROM dispatch.incidents')).rows;
    const units = (await pg.query<{ id: string }>('SELECT id FROM dispatch.units')).rows;
    const available = (
      await pg.query<{ id: string }>(`SELECT id FROM dispatch.units WHERE status = 'available'`)
    ).rows;
    // Every acknowledged write is among the committed changes.
    expect(
      [...acknowledged.incidents].filter((id) => !incidents.some((row) => row.id === id)),
    ).toEqual([]);
    expect([...acknowledged.units].filter((id) => !units.some((row) => row.id === id))).toEqual([]);
    expect(incidents.length).toBeGreaterThanOrEqual(ROUNDS * 2 * (WRITES_PER_ROUND / 3));

    const missing = async (action: string, ids: { id: string }[]): Promise<string[]> => {
      const { rows } = await pg.query<{ object_id: string }>(
        `SELECT DISTINCT object_id FROM audit.entries
          WHERE agency_id = $1 AND action = $2 AND outcome = 'success'`,
        [agencyId, action],
      );
      const audited = new Set(rows.map((row) => row.object_id));
      return ids.map((row) => row.id).filter((id) => !audited.has(id));
    };
    let gaps: Record<string, string[]> = {};
    await waitFor(
      async () => {
        gaps = {
          'incident.create': await missing('incident.create', incidents),
          'unit.create': await missing('unit.create', units),
          'unit.status_change': await missing('unit.status_change', available),
        };
        return Object.values(gaps).every((ids) => ids.length === 0);
      },
      { description: 'every committed change in the audit chain', timeoutMs: 60_000 },
    ).catch(() => undefined);
    expect(gaps).toEqual({ 'incident.create': [], 'unit.create': [], 'unit.status_change': [] });

    // The unit status entries carry the before and after images.
    const { rows: moves } = await pg.query<{ entry: { changes?: unknown } }>(
      `SELECT entry FROM audit.entries WHERE agency_id = $1 AND action = 'unit.status_change' LIMIT 1`,
      [agencyId],
    );
    expect(moves[0]?.entry.changes).toEqual({
      before: { status: 'off_duty' },
      after: { status: 'available' },
    });
  }, 600_000);

  it('0 admitted sockets without their socket.connect entry after repeated SIGKILLs of ws-gateway', async () => {
    const env = environment as TestEnvironment;
    const token = await env.signToken({
      userId: 'console-1',
      agencyId,
      roles: ['dispatcher'],
      expiresInS: 3_600,
    });
    const admitted = new Set<string>();
    let running = true;
    // Each worker: open a socket, note the id the server admitted it with, close it, again.
    const worker = async (): Promise<void> => {
      while (running) {
        const socket = connectDispatch({
          url: services['ws-gateway'].url,
          token,
          transports: ['websocket'],
        });
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 3_000);
          socket.once('connect', () => {
            admitted.add(socket.id as string);
            clearTimeout(timer);
            resolve();
          });
          socket.once('connect_error', () => {
            clearTimeout(timer);
            resolve();
          });
        });
        socket.disconnect();
      }
    };
    const load = Array.from({ length: WORKERS }, () => worker());
    try {
      for (let round = 0; round < ROUNDS; round += 1) {
        const target = admitted.size + WRITES_PER_ROUND;
        await waitFor(() => admitted.size >= target, {
          description: `${WRITES_PER_ROUND} admitted sockets before killing ws-gateway`,
          timeoutMs: 60_000,
        });
        await services['ws-gateway'].kill();
        services['ws-gateway'] = await startTestApp('ws-gateway', env);
      }
    } finally {
      running = false;
      await Promise.all(load);
    }

    const pg = db as Client;
    let missing: string[] = [];
    await waitFor(
      async () => {
        const { rows } = await pg.query<{ socket_id: string }>(
          `SELECT entry->'details'->>'socketId' AS socket_id FROM audit.entries
            WHERE agency_id = $1 AND action = 'socket.connect'`,
          [agencyId],
        );
        const audited = new Set(rows.map((row) => row.socket_id));
        missing = [...admitted].filter((id) => !audited.has(id));
        return missing.length === 0;
      },
      { description: 'every admitted socket in the audit chain', timeoutMs: 60_000 },
    ).catch(() => undefined);
    expect(admitted.size).toBeGreaterThanOrEqual(ROUNDS * WRITES_PER_ROUND);
    expect(missing).toEqual([]);
  }, 600_000);
});
