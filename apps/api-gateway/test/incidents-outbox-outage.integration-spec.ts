import type { IncidentCreatedV1, IncidentStatusChangedV1 } from '@gad/contracts';
import { startRedisServer, waitFor, type RedisServerHandle } from '@gad/testing';
import { AssignmentsService } from '../src/assignments/assignments.service';
import { IncidentsService } from '../src/incidents/incidents.service';
import { DispatchTestApp, POINT } from './dispatch-test-app';

/**
 * The transactional outbox while Redis is down (a private redis-server that the test kills):
 * changes still commit with their events, which reach the stream in order once Redis is back.
 */
describe('api-gateway dispatch outbox during a Redis outage', () => {
  let redis: RedisServerHandle;
  let t: DispatchTestApp;

  beforeAll(async () => {
    redis = await startRedisServer();
    t = await DispatchTestApp.start({ REDIS_URL: redis.url });
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await redis?.dispose();
  }, 30_000);

  it('commits changes with their events while Redis is down and relays them after', async () => {
    const user = (await t.caller('agency-o', 'dispatcher-1', ['dispatcher'])).claims;
    const incidents = t.app.get(IncidentsService);
    const before = await incidents.create(user, {
      type: 'fire',
      priority: 'P1',
      location: POINT(-3.7, 40.4),
    });
    await t.waitForEvent<IncidentCreatedV1>(
      (e) => e.type === 'incident.created' && e.data.incidentId === before.id,
      'incident.created before the outage',
    );

    await redis.stop({ hard: true });
    const during = await incidents.create(user, {
      type: 'flood',
      priority: 'P2',
      location: POINT(-3.71, 40.41),
    });
    await t.app
      .get(AssignmentsService)
      .changeIncidentStatus(user, during.id, { status: 'cancelled', reason: 'duplicate' });
    const { rows } = await t.pg.query<{ unsent: string }>(
      `SELECT count(*)::text AS unsent FROM dispatch.outbox WHERE sent_at IS NULL`,
    );
    expect(Number(rows[0].unsent)).toBe(2);

    await redis.start();
    const cancelled = await t.waitForEvent<IncidentStatusChangedV1>(
      (e) => e.type === 'incident.status_changed' && e.data.incidentId === during.id,
      'incident.status_changed relayed after the outage',
    );
    expect(cancelled.data).toMatchObject({ previousStatus: 'new', status: 'cancelled' });
    const relayed = (await t.streamed()).map((e) => e.type);
    // Redis restarted empty: exactly the two events written during the outage, in commit order.
    expect(relayed).toEqual(['incident.created', 'incident.status_changed']);
    await waitFor(
      async () =>
        (await t.pg.query(`SELECT 1 FROM dispatch.outbox WHERE sent_at IS NULL`)).rows.length === 0,
      { description: 'outbox drained' },
    );
  });
});
