import { DispatchTestApp, type Caller } from './dispatch-test-app';

/**
 * `POST /v1/positions` is scoped as the `/field` socket is: an officer reports its own unit only;
 * services (tracker bridges) and admins report any unit of their agency, and a fix of an id that is
 * no unit of the agency (another agency's) is rejected as `unknown_unit`. A refused batch or fix
 * never reaches geo-service (nothing is written to its request stream).
 */
describe('api-gateway positions scope', () => {
  const agencyId = 'agency-positions';
  let t: DispatchTestApp;

  /** Unit ids by call sign: `unit-1`... of the agency, `other-1` of another agency. */
  const units = new Map<string, string>();

  beforeAll(async () => {
    t = await DispatchTestApp.start({ RPC_TIMEOUT_MS: '200' });
    const create = async (agency: string, callSign: string) => {
      const dispatcher = await t.caller(agency, 'dispatcher-1', ['dispatcher']);
      const created = await t.send<{ id: string }>(dispatcher, 'POST', '/v1/units', {
        callSign,
        type: 'patrol',
      });
      expect(created.status).toBe(201);
      units.set(callSign, created.body.id);
    };
    for (const callSign of ['unit-1', 'unit-2', 'unit-7', 'unit-8', 'unit-9']) {
      await create(agencyId, callSign);
    }
    await create('agency-positions-other', 'other-1');
  }, 60_000);

  const idOf = (callSign: string) => units.get(callSign) ?? callSign;

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
    const byId = new Map([...units].map(([callSign, id]) => [id, callSign]));
    const entries = await t.redis.xrange('gad:rpc:geo-service', '-', '+');
    return entries.map(([, fields]) => {
      const envelope = JSON.parse(fields[fields.indexOf('envelope') + 1]) as {
        data: { positions: { unitId: string }[] };
      };
      return envelope.data.positions.map(
        (position) => byId.get(position.unitId) ?? position.unitId,
      );
    });
  }

  const report = (caller: Caller, callSigns: string[]) =>
    t.send<{ code?: string; accepted?: number; rejected?: unknown[] }>(
      caller,
      'POST',
      '/v1/positions',
      { positions: callSigns.map((callSign, index) => fix(idOf(callSign), index + 1)) },
    );

  it('refuses an officer reporting another unit and forwards its own unit', async () => {
    const officer = await t.caller(agencyId, 'officer-1', ['officer'], idOf('unit-1'));

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

  it('rejects fixes of another agency’s unit or an unknown id without forwarding them', async () => {
    const tracker = await t.caller(agencyId, 'tracker-2', ['service']);
    const before = (await forwarded()).length;

    const foreign = await report(tracker, ['other-1', 'no-such-unit']);
    expect(foreign.status).toBe(200);
    expect(foreign.body).toEqual({
      accepted: 0,
      late: 0,
      duplicates: 0,
      rejected: [
        { index: 0, unitId: idOf('other-1'), reason: 'unknown_unit' },
        { index: 1, unitId: 'no-such-unit', reason: 'unknown_unit' },
      ],
    });
    // In a mixed batch only the agency's own units go on (geo-service does not run here: 504).
    expect((await report(tracker, ['other-1', 'unit-7'])).status).toBe(504);
    expect((await forwarded()).slice(before)).toEqual([['unit-7']]);
  });
});
