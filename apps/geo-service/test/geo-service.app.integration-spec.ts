import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { BusClient, RpcRemoteError } from '@gad/bus';
import { loadConfig } from '@gad/config';
import {
  createEnvelope,
  DEFAULT_AGENCY_SETTINGS,
  envelopeSchema,
  EventTypes,
  GEO_RPC_SERVICE,
  GeoRpcPatterns,
  Streams,
  type Envelope,
  type Geofence,
  type GeoNearestResponse,
  type PositionsIngestResult,
  type PositionsInBboxResponse,
} from '@gad/contracts';
import {
  createTestDatabase,
  deleteKeysWithPrefix,
  freePort,
  testStack,
  uniqueId,
  uniqueRedisPrefix,
  waitFor,
  type TestDatabase,
} from '@gad/testing';
import { startGeoService } from '../src/bootstrap';
import { geoServiceEnvSchema } from '../src/geo-service.config';

describe('geo-service app (Nest wiring, streams and RPCs; real PostgreSQL and Redis)', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let bus: BusClient;
  let inspector: Redis;
  const keyPrefix = uniqueRedisPrefix();
  const agencyId = uniqueId('ag');
  const actor = { kind: 'service' as const, id: 'test' };

  beforeAll(async () => {
    database = await createTestDatabase();
    const port = await freePort();
    const env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      PORT: String(port),
      DATABASE_URL: database.url,
      REDIS_URL: testStack.redisUrl,
      REDIS_KEY_PREFIX: keyPrefix,
      UNIT_MOVED_INTERVAL_MS: '100',
      OUTBOX_POLL_MS: '50',
    };
    const config = loadConfig('geo-service', geoServiceEnvSchema, env);
    app = await startGeoService(config, {
      instanceId: 'geo-service:test',
      handleSignals: false,
      env,
    });
    bus = new BusClient({
      redis: testStack.redisUrl,
      prefix: keyPrefix,
      instanceId: uniqueId('caller'),
    });
    inspector = new Redis(testStack.redisUrl);
  });

  afterAll(async () => {
    await bus.close();
    await app.close();
    await deleteKeysWithPrefix(inspector, keyPrefix);
    inspector.disconnect();
    await database.drop();
  });

  async function geoEvents(): Promise<Envelope[]> {
    const entries = await inspector.xrange(`${keyPrefix}${Streams.GeoEvents}`, '-', '+');
    return entries.flatMap(([, fields]) => {
      const index = fields.indexOf('envelope');
      return index >= 0 ? [envelopeSchema.parse(JSON.parse(fields[index + 1])) as Envelope] : [];
    });
  }

  it('projects unit status, ingests positions from the stream and answers geo.nearest', async () => {
    await bus.publish(
      Streams.DispatchEvents,
      createEnvelope({
        type: EventTypes.UnitStatusChanged,
        agencyId,
        actor,
        data: { unitId: 'u-app', status: 'available', capabilities: ['als'] },
      }),
    );
    await bus.publish(
      Streams.GeoPositions,
      createEnvelope({
        type: EventTypes.PositionsReported,
        agencyId,
        actor: { kind: 'device', id: 'u-app' },
        data: {
          positions: [
            {
              unitId: 'u-app',
              position: { type: 'Point', coordinates: [-3.7, 40.4] },
              recordedAt: new Date(Date.now() - 5_000).toISOString(),
              seq: 1,
              accuracyM: 5,
            },
          ],
        },
      }),
    );
    const reply = await waitFor(
      async () => {
        const answer = await bus.request<GeoNearestResponse>(
          GEO_RPC_SERVICE,
          GeoRpcPatterns.Nearest,
          {
            agencyId,
            lon: -3.7,
            lat: 40.41,
            limit: 3,
            capabilities: ['als'],
          },
        );
        return answer.items.length > 0 ? answer : undefined;
      },
      { description: 'the unit to be recommended', timeoutMs: 15_000 },
    );
    expect(reply.items[0]).toMatchObject({ unitId: 'u-app' });
    expect(reply.items[0].distanceM).toBeGreaterThan(1_000);

    const moved = await waitFor(
      async () => (await geoEvents()).find((event) => event.type === EventTypes.UnitMoved),
      { description: 'unit.moved on gad:geo:events' },
    );
    expect(moved).toMatchObject({ agencyId, data: { unitId: 'u-app', seq: 1 } });
  });

  it('ingests many stream entries merged into batches and answers the bbox query', async () => {
    const envelopes = Array.from({ length: 20 }, (_, i) =>
      createEnvelope({
        type: EventTypes.PositionsReported,
        agencyId,
        actor: { kind: 'device' as const, id: `u-many-${i}` },
        data: {
          positions: [
            {
              unitId: `u-many-${String(i).padStart(2, '0')}`,
              position: {
                type: 'Point' as const,
                coordinates: [20 + i * 0.001, 50] as [number, number],
              },
              recordedAt: new Date(Date.now() - 1_000).toISOString(),
              seq: 1,
            },
          ],
        },
      }),
    );
    await bus.publish(Streams.GeoPositions, envelopes);
    const page = await waitFor(
      async () => {
        const reply = await bus.request<PositionsInBboxResponse>(
          GEO_RPC_SERVICE,
          GeoRpcPatterns.PositionsInBbox,
          { agencyId, bbox: '19.9,49.9,20.1,50.1', limit: 100 },
          { agencyId },
        );
        return reply.items.length === 20 ? reply : undefined;
      },
      { description: '20 units in the bbox', timeoutMs: 15_000 },
    );
    expect(page.items[0]).toMatchObject({ unitId: 'u-many-00', status: null, seq: 1 });
    expect(page.truncated).toBe(false);
  });

  it('refuses an RPC whose payload names another agency than the caller', async () => {
    await expect(
      bus.request(
        GEO_RPC_SERVICE,
        GeoRpcPatterns.Nearest,
        { agencyId: 'someone-else', lon: 0, lat: 0, limit: 1 },
        { agencyId },
      ),
    ).rejects.toMatchObject({ code: 'forbidden' });
    const own = await bus.request<GeoNearestResponse>(
      GEO_RPC_SERVICE,
      GeoRpcPatterns.Nearest,
      { agencyId, lon: 0, lat: 0, limit: 1 },
      { agencyId },
    );
    expect(own.items.map((item) => item.unitId)).toEqual(['u-app']);
  });

  it('answers invalid polygons with invalid_geometry and relays geofence events from the outbox', async () => {
    await expect(
      bus.request(GEO_RPC_SERVICE, GeoRpcPatterns.GeofenceCreate, {
        agencyId,
        name: 'bow tie',
        kind: 'zone',
        geometry: {
          type: 'Polygon',
          coordinates: [
            [
              [0, 0],
              [1, 1],
              [1, 0],
              [0, 1],
              [0, 0],
            ],
          ],
        },
      }),
    ).rejects.toMatchObject({ code: 'invalid_geometry' });
    await expect(
      bus.request(GEO_RPC_SERVICE, GeoRpcPatterns.GeofenceCreate, { agencyId, name: '' }),
    ).rejects.toBeInstanceOf(RpcRemoteError);

    const fence = await bus.request<Geofence>(GEO_RPC_SERVICE, GeoRpcPatterns.GeofenceCreate, {
      agencyId,
      name: 'Base',
      kind: 'zone',
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [10, 10],
            [10.01, 10],
            [10.01, 10.01],
            [10, 10.01],
            [10, 10],
          ],
        ],
      },
    });
    const result = await bus.request<PositionsIngestResult>(
      GEO_RPC_SERVICE,
      GeoRpcPatterns.PositionsIngest,
      {
        agencyId,
        positions: [
          {
            unitId: 'u-fence',
            position: { type: 'Point', coordinates: [10.005, 10.005] },
            recordedAt: new Date().toISOString(),
            seq: 1,
          },
        ],
      },
    );
    expect(result).toEqual({ accepted: 1, late: 0, duplicates: 0, rejected: [] });
    const entered = await waitFor(
      async () => (await geoEvents()).find((event) => event.type === EventTypes.GeofenceEntered),
      { description: 'geofence.entered relayed to gad:geo:events' },
    );
    expect(entered).toMatchObject({
      agencyId,
      actor: { kind: 'service', id: 'geo-service' },
      data: { geofenceId: fence.id, unitId: 'u-fence', initial: true },
    });
  });

  it('fires geofence.dwell on time for a unit that stopped reporting inside a fence', async () => {
    const fence = await bus.request<Geofence>(GEO_RPC_SERVICE, GeoRpcPatterns.GeofenceCreate, {
      agencyId,
      name: 'Waiting area',
      kind: 'zone',
      dwellThresholdS: 2,
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [20, 20],
            [20.01, 20],
            [20.01, 20.01],
            [20, 20.01],
            [20, 20],
          ],
        ],
      },
    });
    const enteredAt = new Date();
    await bus.request<PositionsIngestResult>(GEO_RPC_SERVICE, GeoRpcPatterns.PositionsIngest, {
      agencyId,
      positions: [
        {
          unitId: 'u-silent',
          position: { type: 'Point', coordinates: [20.005, 20.005] },
          recordedAt: enteredAt.toISOString(),
          seq: 1,
        },
      ],
    });
    // No further fix: the dwell is due 2 s after the entry and checked every second
    // (GEOFENCE_DWELL_CHECK_MS), so it is on the stream within 2 s of being due.
    const dwell = await waitFor(
      async () =>
        (await geoEvents()).find(
          (event) =>
            event.type === EventTypes.GeofenceDwell &&
            (event.data as { unitId?: string }).unitId === 'u-silent',
        ),
      { description: 'geofence.dwell relayed without another fix', timeoutMs: 4_000 },
    );
    expect(dwell).toMatchObject({
      agencyId,
      data: {
        geofenceId: fence.id,
        at: new Date(enteredAt.getTime() + 2_000).toISOString(),
        dwellS: 2,
        thresholdS: 2,
      },
    });
  });

  it('follows the agency’s retentionDays from agency.settings_changed', async () => {
    const settingsChanged = (version: number, retentionDays: number | null) =>
      createEnvelope({
        type: EventTypes.AgencySettingsChanged,
        agencyId,
        actor: { kind: 'user' as const, id: 'admin-1', roles: ['admin'] },
        data: {
          version,
          settings: { ...DEFAULT_AGENCY_SETTINGS, retentionDays },
          changed: ['retentionDays'],
          changedAt: new Date().toISOString(),
        },
      });
    const pg = new Client({ connectionString: database.url });
    await pg.connect();
    try {
      const days = async () =>
        (
          await pg.query<{ days: number }>(
            'SELECT position_retention_days AS days FROM geo.agency_settings WHERE agency_id = $1',
            [agencyId],
          )
        ).rows[0]?.days;
      await bus.publish(Streams.DispatchEvents, settingsChanged(2, 45));
      await waitFor(async () => (await days()) === 45, { description: 'retention 45 days' });
      await bus.publish(Streams.DispatchEvents, settingsChanged(3, null));
      await waitFor(async () => (await days()) === undefined, {
        description: 'the deployment default again',
      });
    } finally {
      await pg.end();
    }
  });
});
