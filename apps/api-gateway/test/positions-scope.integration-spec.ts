import { DispatchTestApp, type Caller } from './dispatch-test-app';

/**
 * `POST /v1/positions` is scoped as the `/field` socket is: an officer reports its own unit only;
 * services (tracker bridges) and admins report any unit of their agency. A refused batch never
 * reaches geo-service (nothing is written to its request stream).
 */
describe('api-gateway positions scope', () => {
  const agencyId = 'agency-positions';
  let t: DispatchTestApp;

  beforeAll(async () => {
    t = await DispatchTestApp.start({ RPC_TIMEOUT_MS: '200' });
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  const fix = (unitId: string, seq = 1) => ({
    unitId,
    position: { type: 'Point', coordinates: [-3.7, 40.42] },
    recordedAt: new Date().toISOString(),
    seq,
  });

  /** Batches forwarded to geo-service so far (no geo-service runs here: they time out, 504). */
  async function forwarded(): Promise<string[][]> {
    const entries = await t.redis.xrange('gad:rpc:geo-service', '-', '+');
    return entries.map(([, fields]) => {
      const envelope = JSON.parse(fields[fields.indexOf('envelope') + 1]) as {
        data: { positions: { unitId: string }[] };
      };
      return envelope.data.positions.map((position) => position.unitId);
    });
  }

  const report = (caller: Caller, unitIds: string[]) =>
    t.send<{ code?: string }>(caller, 'POST', '/v1/positions', {
      positions: unitIds.map((unitId, index) => fix(unitId, index + 1)),
    });

  it('refuses an officer reporting another unit and forwards its own unit', async () => {
    const officer = await t.caller(agencyId, 'officer-1', ['officer'], 'unit-1');

    const foreign = await report(officer, ['unit-2']);
    expect(foreign.status).toBe(403);
    expect(foreign.body.code).toBe('unit_not_crewed_by_caller');
    const mixed = await report(officer, ['unit-1', 'unit-2']);
    expect(mixed.status).toBe(403);
    expect(await forwarded()).toEqual([]);

    const own = await report(officer, ['unit-1', 'unit-1']);
    expect(own.status).toBe(504);
    expect(await forwarded()).toEqual([['unit-1', 'unit-1']]);
  });

  it('refuses an officer without a unit in its token', async () => {
    const officer = await t.caller(agencyId, 'officer-2', ['officer']);
    const before = (await forwarded()).length;

    expect((await report(officer, ['unit-1'])).status).toBe(403);
    expect((await forwarded()).length).toBe(before);
  });

  it('lets services and admins report any unit of the agency', async () => {
    const tracker = await t.caller(agencyId, 'tracker-1', ['service']);
    const admin = await t.caller(agencyId, 'admin-1', ['admin']);
    const before = (await forwarded()).length;

    expect((await report(tracker, ['unit-7', 'unit-8'])).status).toBe(504);
    expect((await report(admin, ['unit-9'])).status).toBe(504);
    expect((await forwarded()).slice(before)).toEqual([['unit-7', 'unit-8'], ['unit-9']]);
  });
});
