import { Client } from 'pg';
import { Redis } from 'ioredis';
import { AUDIT_OUTBOX_STREAM } from '@gad/audit';
import { BusClient } from '@gad/bus';
import { loadConfig } from '@gad/config';
import {
  GEO_RPC_SERVICE,
  GeoRpcPatterns,
  uuidv7,
  type AuditEntry,
  type Geofence,
  type RpcAudit,
} from '@gad/contracts';
import {
  createTestDatabase,
  deleteKeysWithPrefix,
  freePort,
  testStack,
  uniqueId,
  uniqueRedisPrefix,
  type TestDatabase,
} from '@gad/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startGeoService } from '../src/bootstrap';
import { geoServiceEnvSchema } from '../src/geo-service.config';

const SQUARE = [
  [-3.7, 40.4],
  [-3.69, 40.4],
  [-3.69, 40.41],
  [-3.7, 40.41],
  [-3.7, 40.4],
];

/**
 * Geofence changes api-gateway forwards over RPC carry the request's audit entry (envelope
 * `audit`): geo-service commits it in `geo.outbox` in the transaction of the change, completed with
 * the before and after images, and its reply says so (docs/adr/0021). A deferred constraint
 * trigger refuses to commit any geofence change without a `queue:audit` row of the same
 * transaction, so a change and its entry can only commit together.
 */
describe('geofence changes forwarded with their audit entry (real PostgreSQL and Redis)', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let bus: BusClient;
  let pg: Client;
  let inspector: Redis;
  const keyPrefix = uniqueRedisPrefix();
  const agencyId = uniqueId('ag');

  beforeAll(async () => {
    database = await createTestDatabase();
    const env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      PORT: String(await freePort()),
      DATABASE_URL: database.url,
      REDIS_URL: testStack.redisUrl,
      REDIS_KEY_PREFIX: keyPrefix,
      OUTBOX_POLL_MS: '50',
    };
    app = await startGeoService(loadConfig('geo-service', geoServiceEnvSchema, env), {
      instanceId: 'geo-service:audit-test',
      handleSignals: false,
      env,
    });
    bus = new BusClient({
      redis: testStack.redisUrl,
      prefix: keyPrefix,
      instanceId: uniqueId('gw'),
    });
    inspector = new Redis(testStack.redisUrl);
    pg = new Client({ connectionString: database.url });
    await pg.connect();
    await pg.query(`
      CREATE FUNCTION geo.test_require_audit_in_transaction() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT EXISTS (
          SELECT 1 FROM geo.outbox
           WHERE stream = '${AUDIT_OUTBOX_STREAM}'
             AND xmin::text = (txid_current() % 4294967296)::text
        ) THEN
          RAISE EXCEPTION 'geo.geofences changed without an audit entry in its transaction';
        END IF;
        RETURN NULL;
      END $$`);
    await pg.query(`
      CREATE CONSTRAINT TRIGGER audited_geofence AFTER INSERT OR UPDATE OR DELETE ON geo.geofences
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
        EXECUTE FUNCTION geo.test_require_audit_in_transaction()`);
  }, 60_000);

  afterAll(async () => {
    await bus.close();
    await app.close();
    await pg.end();
    await deleteKeysWithPrefix(inspector, keyPrefix);
    inspector.disconnect();
    await database.drop();
  });

  /** The entry api-gateway's audit interceptor forwards for a change request. */
  function forwarded(action: string, objectId?: string): RpcAudit {
    return {
      entry: {
        id: uuidv7(),
        occurredAt: new Date().toISOString(),
        agencyId,
        actor: { kind: 'user', id: 'dispatcher-7', roles: ['dispatcher'] },
        service: 'api-gateway',
        action,
        object: { type: 'geofence', ...(objectId ? { id: objectId } : {}) },
        outcome: 'success',
        source: { ip: '203.0.113.9', userAgent: 'console' },
        traceId: '0af7651916cd43dd8448eb211c80319c',
        details: { method: 'POST', route: '/v1/geofences' },
      },
      captureResult: true,
      idParam: 'id',
    };
  }

  /** Calls geo-service as api-gateway does; `recorded` holds the entry ids the replies confirm. */
  async function call<T>(pattern: string, data: unknown, audit: RpcAudit, recorded: string[]) {
    return bus.request<T>(GEO_RPC_SERVICE, pattern, data, {
      agencyId,
      actor: audit.entry.actor,
      audit,
      onAuditRecorded: (id) => recorded.push(id),
      timeoutMs: 10_000,
    });
  }

  /** Creates a zone fence over SQUARE through the RPC, as api-gateway forwards it. */
  function createFence(name: string, audit: RpcAudit, recorded: string[]): Promise<Geofence> {
    return call<Geofence>(
      GeoRpcPatterns.GeofenceCreate,
      {
        agencyId,
        name,
        kind: 'zone',
        geometry: { type: 'Polygon', coordinates: [SQUARE] },
        minInsideS: 0,
        minOutsideS: 0,
      },
      audit,
      recorded,
    );
  }

  async function outboxEntries(id: string): Promise<AuditEntry[]> {
    const { rows } = await pg.query<{ envelope: AuditEntry }>(
      `SELECT envelope FROM geo.outbox WHERE stream = $1 AND envelope->>'id' = $2`,
      [AUDIT_OUTBOX_STREAM, id],
    );
    return rows.map((row) => row.envelope);
  }

  it('commits a created, updated and deleted fence with its request entry and images', async () => {
    const recorded: string[] = [];
    const create = forwarded('geofence.create');
    const fence = await createFence('Depot', create, recorded);
    expect(recorded).toEqual([create.entry.id]);
    const [created] = await outboxEntries(create.entry.id);
    expect(created).toMatchObject({
      id: create.entry.id,
      service: 'api-gateway',
      action: 'geofence.create',
      outcome: 'success',
      actor: { id: 'dispatcher-7' },
      object: { type: 'geofence', id: fence.id },
      traceId: create.entry.traceId,
      changes: { after: { id: fence.id, name: 'Depot' } },
    });

    const update = forwarded('geofence.update', fence.id);
    await call(
      GeoRpcPatterns.GeofenceUpdate,
      { agencyId, id: fence.id, name: 'Depot North', expectedVersion: fence.version },
      update,
      recorded,
    );
    const [updated] = await outboxEntries(update.entry.id);
    expect(updated?.changes).toMatchObject({
      before: { name: 'Depot', version: fence.version },
      after: { name: 'Depot North' },
    });

    const remove = forwarded('geofence.delete', fence.id);
    await call(GeoRpcPatterns.GeofenceDelete, { agencyId, id: fence.id }, remove, recorded);
    const [deleted] = await outboxEntries(remove.entry.id);
    expect(deleted?.changes).toMatchObject({ before: { id: fence.id, name: 'Depot North' } });
    expect(recorded).toEqual([create.entry.id, update.entry.id, remove.entry.id]);
    const { rows } = await pg.query(`SELECT 1 FROM geo.geofences WHERE id = $1`, [fence.id]);
    expect(rows).toHaveLength(0);
  });

  it('leaves no success entry for a change it refuses, and the caller records the refusal', async () => {
    const recorded: string[] = [];
    const create = forwarded('geofence.create');
    const fence = await createFence('Yard', create, recorded);
    const stale = forwarded('geofence.update', fence.id);
    await expect(
      call(
        GeoRpcPatterns.GeofenceUpdate,
        { agencyId, id: fence.id, name: 'Renamed', expectedVersion: fence.version + 5 },
        stale,
        recorded,
      ),
    ).rejects.toMatchObject({ code: 'geofence_version_conflict' });
    const missing = forwarded('geofence.delete', '01900000-0000-7000-8000-000000000099');
    await expect(
      call(
        GeoRpcPatterns.GeofenceDelete,
        { agencyId, id: '01900000-0000-7000-8000-000000000099' },
        missing,
        recorded,
      ),
    ).rejects.toMatchObject({ code: 'geofence_not_found' });
    expect(recorded).toEqual([create.entry.id]);
    expect(await outboxEntries(stale.entry.id)).toEqual([]);
    expect(await outboxEntries(missing.entry.id)).toEqual([]);
    const { rows } = await pg.query<{ name: string }>(
      `SELECT name FROM geo.geofences WHERE id = $1`,
      [fence.id],
    );
    expect(rows).toEqual([{ name: 'Yard' }]);
  });

  it('commits the same request entry with each delivery of a redelivered change (the chain keeps one)', async () => {
    const recorded: string[] = [];
    const fence = await createFence('Gate', forwarded('geofence.create'), recorded);
    // The same request delivered twice (an RPC retried after a lost reply): each delivery commits
    // its change with the one entry id it carries; audit-log-worker chains an id once.
    const rename = forwarded('geofence.update', fence.id);
    for (let delivery = 0; delivery < 2; delivery += 1) {
      await call(
        GeoRpcPatterns.GeofenceUpdate,
        { agencyId, id: fence.id, name: 'Gate B' },
        rename,
        recorded,
      );
    }
    const rows = await outboxEntries(rename.entry.id);
    expect(rows).toHaveLength(2);
    expect(new Set(rows.map((row) => row.id))).toEqual(new Set([rename.entry.id]));
  });
});
