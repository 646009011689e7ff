import type { TrackPoint } from '@gad/contracts';
import { positionAt, replayFrame, type ReplaySource } from './incident-replay';

const t = (minute: number) => new Date(Date.UTC(2026, 11, 6, 10, minute)).toISOString();
const fix = (minute: number, lon: number): TrackPoint => ({
  position: { type: 'Point', coordinates: [lon, 40.4] },
  recordedAt: t(minute),
  receivedAt: t(minute),
  seq: minute,
  accuracyM: null,
  speedMps: null,
  headingDeg: null,
});

const source: ReplaySource = {
  incident: {
    id: '0193a000-0000-7000-8000-000000000001',
    type: 'structure_fire',
    priority: 'P1',
    status: 'closed',
    location: { type: 'Point', coordinates: [-3.7, 40.42] },
    address: 'Calle Mayor 2',
    createdAt: t(0),
  },
  timeline: [
    {
      kind: 'incident.created',
      at: t(0),
      detail: { priority: 'P2', type: 'structure_fire', status: 'new' },
    },
    {
      kind: 'assignment.created',
      at: t(2),
      detail: { assignmentId: 'a1', unitId: 'u1', callSign: 'Bomba 1' },
    },
    { kind: 'incident.status_changed', at: t(2), detail: { from: 'new', to: 'dispatched' } },
    {
      kind: 'assignment.updated',
      at: t(3),
      detail: { assignmentId: 'a1', from: 'proposed', to: 'en_route' },
    },
    {
      kind: 'incident.updated',
      at: t(4),
      detail: {
        changes: {
          priority: { from: 'P2', to: 'P1' },
          address: { from: 'Calle Mayor 1', to: 'Calle Mayor 2' },
        },
      },
    },
    {
      kind: 'assignment.updated',
      at: t(9),
      detail: { assignmentId: 'a1', from: 'en_route', to: 'on_scene' },
    },
    { kind: 'incident.status_changed', at: t(30), detail: { from: 'in_progress', to: 'closed' } },
  ],
  assignments: [{ id: 'a1', unitId: 'u1', callSign: 'Bomba 1', status: 'cleared' }],
};
const tracks = new Map([['u1', [fix(1, -3.75), fix(5, -3.72), fix(9, -3.7)]]]);

describe('replayFrame', () => {
  it('is empty before the incident existed', () => {
    const sut = replayFrame(source, new Date(Date.parse(t(0)) - 1000), tracks);
    expect(sut).toMatchObject({ existed: false, incident: null, units: [], timelineEntries: 0 });
  });

  it('shows the incident as created: first priority and address, no unit', () => {
    const sut = replayFrame(source, new Date(t(1)), tracks);
    expect(sut.incident).toMatchObject({ status: 'new', priority: 'P2', address: 'Calle Mayor 1' });
    expect(sut.units).toEqual([]);
  });

  it('shows the unit en route at its last fix before the moment, with the fields changed by then', () => {
    const sut = replayFrame(source, new Date(Date.parse(t(6))), tracks);
    expect(sut.incident).toMatchObject({
      status: 'dispatched',
      priority: 'P1',
      address: 'Calle Mayor 2',
    });
    expect(sut.units).toEqual([
      expect.objectContaining({
        unitId: 'u1',
        callSign: 'Bomba 1',
        status: 'en_route',
        position: { type: 'Point', coordinates: [-3.72, 40.4] },
        positionAt: t(5),
      }),
    ]);
  });

  it('shows the unit on scene, then the closed incident with no fresh fix', () => {
    expect(replayFrame(source, new Date(t(9)), tracks).units[0]?.status).toBe('on_scene');
    const closed = replayFrame(source, new Date(t(40)), tracks);
    expect(closed.incident?.status).toBe('closed');
    expect(closed.units[0]).toMatchObject({ position: null, positionAt: null });
  });

  it('positionAt ignores fixes after the moment', () => {
    expect(positionAt([fix(5, 1)], Date.parse(t(4)))).toBeUndefined();
  });
});
