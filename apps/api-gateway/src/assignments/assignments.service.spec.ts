import type { AccessClaims, Envelope, GeoNearestResponse } from '@gad/contracts';
import type { GeoReadModel } from '@gad/geo-read';
import type { AgencySettingsReader } from '../agencies/agency-settings.reader';
import type { HazardsService } from '../hazards/hazards.service';
import type { IncidentTypesService } from '../incident-types/incident-types.service';
import { IncidentsService } from '../incidents/incidents.service';
import type { IncidentRow, IncidentsRepository } from '../incidents/incidents.repository';
import type { DispatchTransactions, DispatchTx } from '../timeline/dispatch-transactions.service';
import type { NewTimelineEntry, TimelineRepository } from '../timeline/timeline.repository';
import type { UnitRow, UnitsRepository } from '../units/units.repository';
import { UnitsService } from '../units/units.service';
import type { AssignmentRow, AssignmentsRepository, NewAssignment } from './assignments.repository';
import { AssignmentsService } from './assignments.service';
import type { ZonesService } from '../zones/zones.service';

const agencyId = 'agency-1';
const user: AccessClaims = { sub: 'dispatcher-1', agencyId, roles: ['dispatcher'] };
const now = new Date('2026-11-22T10:00:00Z');

const incident: IncidentRow = {
  id: '01a20000-0000-7000-8000-000000000001',
  agency_id: agencyId,
  type: 'fire',
  priority: 'P1',
  status: 'new',
  lon: -3.7,
  lat: 40.4,
  address: null,
  description: null,
  created_by: 'dispatcher-1',
  created_at: now,
  updated_at: now,
  version: 1,
  disposition_code: null,
  disposition_summary: null,
  disposition_by: null,
  disposition_at: null,
  merged_into_id: null,
  split_from_id: null,
  zone_id: null,
  zone_name: 'ezjmg',
  zone_source: 'cell',
  created_us: '0',
};

function unit(id: string, callSign: string, status: UnitRow['status']): UnitRow {
  return {
    id,
    agency_id: agencyId,
    call_sign: callSign,
    type: 'patrol',
    capabilities: ['k9'],
    crew: ['officer-1'],
    status,
    status_changed_at: now,
    created_at: now,
    updated_at: now,
  };
}

/** The nearest strategy with its ports mocked: repositories, the geo read model, the unit of work. */
describe('AssignmentsService (nearest strategy)', () => {
  let units: Map<string, UnitRow>;
  let inserted: NewAssignment[];
  let notes: NewTimelineEntry[];
  let events: Envelope[];
  let geoRead: { nearest: jest.Mock };
  let agencySettings: { nearestMaxAgeS: jest.Mock };
  let sut: AssignmentsService;

  beforeEach(() => {
    units = new Map([
      ['u-busy', unit('u-busy', 'B-1', 'dispatched')],
      ['u-free', unit('u-free', 'F-2', 'available')],
    ]);
    inserted = [];
    notes = [];
    events = [];
    const tx: DispatchTx = {
      client: {} as DispatchTx['client'],
      emit: (envelope) => events.push(envelope),
      note: (entry) => notes.push(entry),
    };
    const transactions = {
      run: <T>(work: (t: DispatchTx) => Promise<T>) => work(tx),
    } as unknown as DispatchTransactions;
    const incidentsRepository = {
      findById: jest.fn(async () => incident),
      lock: jest.fn(async () => incident),
      setStatus: jest.fn(
        async (_e: unknown, _a: string, _id: string, status: IncidentRow['status']) => ({
          ...incident,
          status,
        }),
      ),
    } as unknown as IncidentsRepository;
    const unitsRepository = {
      lock: jest.fn(async (_e: unknown, _a: string, id: string) => units.get(id)),
      setStatus: jest.fn(
        async (_e: unknown, _a: string, id: string, status: UnitRow['status']) => ({
          ...(units.get(id) as UnitRow),
          status,
        }),
      ),
    } as unknown as UnitsRepository;
    const assignmentsRepository = {
      insert: jest.fn(async (_e: unknown, assignment: NewAssignment): Promise<AssignmentRow> => {
        inserted.push(assignment);
        const chosen = units.get(assignment.unitId) as UnitRow;
        return {
          id: assignment.id,
          agency_id: agencyId,
          incident_id: assignment.incidentId,
          unit_id: assignment.unitId,
          call_sign: chosen.call_sign,
          crew: chosen.crew,
          status: 'proposed',
          steps: { proposed: now.toISOString() },
          decline_reason: null,
          recommendation: assignment.recommendation ?? null,
          created_by: assignment.createdBy,
          created_at: now,
          updated_at: now,
        };
      }),
    } as unknown as AssignmentsRepository;
    geoRead = { nearest: jest.fn() };
    agencySettings = { nearestMaxAgeS: jest.fn().mockResolvedValue(undefined) };
    sut = new AssignmentsService(
      assignmentsRepository,
      new IncidentsService(
        incidentsRepository,
        {} as TimelineRepository,
        transactions,
        {} as IncidentTypesService,
        {} as ZonesService,
      ),
      new UnitsService(unitsRepository, transactions),
      transactions,
      geoRead as unknown as GeoReadModel,
      agencySettings as unknown as AgencySettingsReader,
      { noticesAt: jest.fn().mockResolvedValue([]) } as unknown as HazardsService,
    );
  });

  const geoSays = (reply: GeoNearestResponse) => geoRead.nearest.mockResolvedValue(reply);
  const candidate = (unitId: string, callSign: string, distanceM: number) => ({
    unitId,
    callSign,
    distanceM,
    position: { type: 'Point' as const, coordinates: [-3.7, 40.41] as [number, number] },
    recordedAt: now.toISOString(),
  });

  it('reads fresh available units with the capabilities, in the caller’s agency', async () => {
    geoSays({ items: [candidate('u-free', 'F-2', 850.4)] });
    await sut.create(user, incident.id, { strategy: 'nearest', capabilities: ['k9'] });
    expect(geoRead.nearest).toHaveBeenCalledWith(
      // No maxAgeS (the agency sets none): NEAREST_MAX_POSITION_AGE_S decides.
      { agencyId, lon: -3.7, lat: 40.4, limit: 5, capabilities: ['k9'] },
    );
  });

  it('asks for the agency’s staleness limit when its settings set one', async () => {
    agencySettings.nearestMaxAgeS.mockResolvedValue(90);
    geoSays({ items: [candidate('u-free', 'F-2', 850.4)] });
    await sut.create(user, incident.id, { strategy: 'nearest' });
    expect(agencySettings.nearestMaxAgeS).toHaveBeenCalledWith(agencyId);
    expect(geoRead.nearest).toHaveBeenCalledWith({
      agencyId,
      lon: -3.7,
      lat: 40.4,
      limit: 5,
      maxAgeS: 90,
    });
  });

  it('takes the closest unit dispatch still sees as available and records suggestion and decision', async () => {
    geoSays({
      items: [candidate('u-busy', 'B-1', 500.2), candidate('u-free', 'F-2', 850.4)],
    });
    const assignment = await sut.create(user, incident.id, { strategy: 'nearest' });
    expect(assignment).toMatchObject({
      unitId: 'u-free',
      callSign: 'F-2',
      recommendation: { unitId: 'u-busy', callSign: 'B-1', distanceM: 500 },
    });
    expect(notes.map((note) => [note.kind, note.message])).toEqual([
      ['assignment.recommended', 'suggested B-1 at 500 m, F-2 at 850 m'],
      ['assignment.created', 'suggested B-1 at 500 m; dispatcher-1 chose F-2'],
      ['incident.status_changed', 'dispatcher-1 moved the incident from new to dispatched'],
    ]);
    expect(events.map((event) => event.type)).toEqual([
      'assignment.created',
      'unit.status_changed',
      'incident.status_changed',
    ]);
    expect(events[0].data).toMatchObject({
      unitId: 'u-free',
      crew: ['officer-1'],
      recommendation: { unitId: 'u-busy', distanceM: 500 },
    });
  });

  it('answers 409 no_unit_available with the read’s exclusions and writes nothing', async () => {
    const excluded = { stale: 2, busy: 1, missingCapability: 0, unknownStatus: 0 };
    geoSays({ items: [candidate('u-busy', 'B-1', 500)], excluded });
    await expect(sut.create(user, incident.id, { strategy: 'nearest' })).rejects.toMatchObject({
      code: 'no_unit_available',
      status: 409,
      extensions: { excluded },
    });
    expect(inserted).toEqual([]);
    expect(events).toEqual([]);
  });

  it('refuses a named unit that is busy with 409 unit_busy', async () => {
    await expect(sut.create(user, incident.id, { unitId: 'u-busy' })).rejects.toMatchObject({
      code: 'unit_busy',
      status: 409,
    });
    expect(geoRead.nearest).not.toHaveBeenCalled();
  });
});
