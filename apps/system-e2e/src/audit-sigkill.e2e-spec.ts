import { randomBytes } from 'node:crypto';
import { connectDispatch, createGadClient, type GadRestClient } from '@gad/client';
import {
  EventTypes,
  Streams,
  createEnvelope,
  uuidv7,
  type AssignmentCreatedV1,
  type AssignmentUpdatedV1,
} from '@gad/contracts';
import {
  createAuditSigningKeyPem,
  createTestEnvironment,
  startTestApp,
  testStack,
  waitFor,
  type ServiceProcess,
  type TestEnvironment,
} from '@gad/testing';
import { Redis } from 'ioredis';
import { Client } from 'pg';

/**
 * Nothing acknowledged goes unaudited (docs/adr/0021): under a steady write load, api-gateway and
 * then the audit-log-worker are killed with SIGKILL again and again (no shutdown hook runs), and
 * restarted. Afterwards every change that PostgreSQL holds (each incident and unit created, each
 * unit status change) has its audit entry in the chain, and every request that was answered 2xx
 * is among those changes: 0 missing. notification-service and geo-service are killed the same
 * way while they consume assignments and ingest positions. Bounded in count (rounds, writes per
 * round) and in time.
 */
const ROUNDS = 3;
const WRITES_PER_ROUND = 25;
const WORKERS = 4;
/** notification-service and geo-service are killed together this many times. */
const SERVICE_ROUNDS = 2;

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
    // Services that own a schema migrate it at boot: one after another.
    services['geo-service'] = await startTestApp('geo-service', env);
    services['notification-service'] = await startTestApp('notification-service', env);
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
  it('0 changes without their audit entry after repeated SIGKILLs of notification-service and geo-service', async () => {
    const env = environment as TestEnvironment;
    const token = await env.signToken({
      userId: 'tracker-1',
      agencyId,
      roles: ['service'],
      expiresInS: 3_600,
    });
    const redis = new Redis(testStack.redisUrl);
    const prefix = env.env['REDIS_KEY_PREFIX'] ?? '';
    const actor = { kind: 'user' as const, id: 'dispatcher-1', roles: ['dispatcher'] };
    // The tracked units: positions are taken for units of the agency only.
    const unitToken = await env.signToken({
      userId: 'dispatcher-1',
      agencyId,
      roles: ['dispatcher'],
      expiresInS: 3_600,
    });
    const tracked: string[] = [];
    for (const index of [0, 1]) {
      const created = await fetch(`${services['api-gateway'].url}/v1/units`, {
        method: 'POST',
        headers: { authorization: `Bearer ${unitToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ callSign: `TRACKED-${index}`, type: 'patrol' }),
      });
      expect(created.status).toBe(201);
      tracked.push(((await created.json()) as { id: string }).id);
    }
    let published = 0;
    const reported = new Set<string>(); // trace ids of position batches answered 200
    let running = true;

    // notification-service: an assignment of a unit nobody staffs (its escalation step is
    // recorded at once, with a command.escalation entry), then cleared (the settlement, with a
    // command.escalation_cancel entry). Its consumers take them from the stream at their pace.
    const dispatcher = async (): Promise<void> => {
      while (running) {
        const assignmentId = uuidv7();
        const incidentId = uuidv7();
        const unitId = `unit-${published % 7}`;
        const created = createEnvelope<AssignmentCreatedV1>({
          type: EventTypes.AssignmentCreated,
          agencyId,
          actor,
          data: {
            assignmentId,
            incidentId,
            unitId,
            status: 'notified',
            priority: 'P3',
            incidentType: 'structure_fire',
            location: { type: 'Point', coordinates: [-3.7038, 40.4168] },
            crew: [],
            createdAt: new Date().toISOString(),
          },
        });
        const cleared = createEnvelope<AssignmentUpdatedV1>({
          type: EventTypes.AssignmentUpdated,
          agencyId,
          actor,
          data: {
            assignmentId,
            incidentId,
            unitId,
            status: 'cleared',
            previousStatus: 'notified',
            changedAt: new Date().toISOString(),
          },
        });
        await redis
          .pipeline()
          .xadd(`${prefix}${Streams.DispatchEvents}`, '*', 'envelope', JSON.stringify(created))
          .xadd(`${prefix}${Streams.DispatchEvents}`, '*', 'envelope', JSON.stringify(cleared))
          .exec();
        published += 1;
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
    };
    // geo-service: trackers report fixes over REST; each answered batch has its position.ingest
    // entry (found by the batch's trace id). A batch in flight when geo-service dies fails.
    const tracker = async (index: number): Promise<void> => {
      let seq = 0;
      while (running) {
        const traceId = randomBytes(16).toString('hex');
        seq += 1;
        try {
          const response = await fetch(`${services['api-gateway'].url}/v1/positions`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${token}`,
              'content-type': 'application/json',
              traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
            },
            body: JSON.stringify({
              positions: [
                {
                  unitId: tracked[index],
                  position: { type: 'Point', coordinates: [-3.7 + seq / 100_000, 40.41] },
                  recordedAt: new Date().toISOString(),
                  seq,
                },
              ],
            }),
            signal: AbortSignal.timeout(5_000),
          });
          if (response.status === 200) {
            reported.add(traceId);
          }
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    };
    const load = [dispatcher(), ...Array.from({ length: 2 }, (_, index) => tracker(index))];

    const pg = db as Client;
    const stored = async (): Promise<number> =>
      (
        await pg.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM notify.assignments WHERE agency_id = $1',
          [agencyId],
        )
      ).rows[0]?.n ?? 0;
    // Both die together in each round (restarting a service is most of this test's time).
    const victims = ['notification-service', 'geo-service'];
    try {
      for (let round = 0; round < SERVICE_ROUNDS; round += 1) {
        const assignments = (await stored()) + WRITES_PER_ROUND / 5;
        const batches = reported.size + WRITES_PER_ROUND / 5;
        await waitFor(async () => (await stored()) >= assignments && reported.size >= batches, {
          description: `assignments stored and batches answered before killing ${victims.join(', ')}`,
          timeoutMs: 60_000,
        });
        await Promise.all(victims.map((victim) => services[victim].kill()));
        await Promise.all(
          victims.map(async (victim) => {
            services[victim] = await startTestApp(victim, env);
          }),
        );
      }
      // Load goes on until the restarted services wrote again.
      const assignments = (await stored()) + WRITES_PER_ROUND / 5;
      const batches = reported.size + WRITES_PER_ROUND / 5;
      await waitFor(async () => (await stored()) >= assignments && reported.size >= batches, {
        description: 'assignments stored and batches answered after the last restart',
        timeoutMs: 60_000,
      });
    } finally {
      running = false;
      await Promise.all(load);
    }
    redis.disconnect();

    const rows = async (sql: string): Promise<string[]> =>
      (await pg.query<{ id: string }>(sql, [agencyId])).rows.map((row) => row.id);
    const assignments = await rows(
      'SELECT assignment_id AS id FROM notify.assignments WHERE agency_id = $1',
    );
    const settled = await rows(
      'SELECT assignment_id AS id FROM notify.assignments WHERE agency_id = $1 AND settled_at IS NOT NULL',
    );
    const audited = async (action: string, column: string): Promise<Set<string>> =>
      new Set(
        (
          await pg.query<{ id: string }>(
            `SELECT DISTINCT ${column} AS id FROM audit.entries
              WHERE agency_id = $1 AND action = $2 AND outcome = 'success'`,
            [agencyId, action],
          )
        ).rows.map((row) => row.id),
      );
    let gaps: Record<string, string[]> = {};
    await waitFor(
      async () => {
        const escalated = await audited('command.escalation', 'object_id');
        const cancelled = await audited('command.escalation_cancel', 'object_id');
        const ingested = await audited('position.ingest', `entry->>'traceId'`);
        gaps = {
          'command.escalation': assignments.filter((id) => !escalated.has(id)),
          'command.escalation_cancel': settled.filter((id) => !cancelled.has(id)),
          'position.ingest': [...reported].filter((id) => !ingested.has(id)),
        };
        return Object.values(gaps).every((ids) => ids.length === 0);
      },
      { description: 'every committed change in the audit chain', timeoutMs: 60_000 },
    ).catch(() => undefined);
    expect(assignments.length).toBeGreaterThanOrEqual(
      ((SERVICE_ROUNDS + 1) * WRITES_PER_ROUND) / 5,
    );
    expect(settled.length).toBeGreaterThan(0);
    expect(reported.size).toBeGreaterThanOrEqual(((SERVICE_ROUNDS + 1) * WRITES_PER_ROUND) / 5);
    expect(gaps).toEqual({
      'command.escalation': [],
      'command.escalation_cancel': [],
      'position.ingest': [],
    });
  }, 600_000);
});
