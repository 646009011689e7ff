import type { AllCallCommandRow, AllCallRow } from './all-calls.repository';
import { toAllCall } from './all-calls.mapper';

const at = (s: number) => new Date(Date.UTC(2026, 11, 6, 20, 0, s));
const call: AllCallRow = {
  all_call_id: '0190f0f0-0000-7000-8000-000000000001',
  agency_id: 'a',
  title: 'All units',
  message: 'Report',
  priority: 'P2',
  critical: true,
  created_by: 'dispatcher-1',
  created_at: at(0),
  zone_id: null,
};
const row = (unit: string, stages: Partial<AllCallCommandRow> = {}): AllCallCommandRow => ({
  command_id: `0190f0f0-0000-7000-8000-00000000010${unit.slice(-1)}`,
  agency_id: 'a',
  all_call_id: call.all_call_id,
  unit_id: unit,
  issued_at: at(0),
  delivered_at: null,
  seen_at: null,
  accepted_at: null,
  declined_at: null,
  decline_reason: null,
  acknowledged_by: null,
  ...stages,
});

describe('toAllCall', () => {
  it('gives each unit its furthest stage and counts the units per stage', () => {
    const sut = toAllCall(
      call,
      [
        row('u1'),
        row('u2', { delivered_at: at(1), acknowledged_by: 'o2' }),
        row('u3', { delivered_at: at(1), seen_at: at(2) }),
        row('u4', { delivered_at: at(1), seen_at: at(2), accepted_at: at(3) }),
        row('u5', {
          delivered_at: at(1),
          seen_at: at(2),
          declined_at: at(4),
          decline_reason: 'busy',
        }),
      ],
      [{ step: 'all_call_undelivered', fired_at: at(3) }],
    );
    expect(sut.devices.map((device) => [device.unitId, device.stage])).toEqual([
      ['u1', 'issued'],
      ['u2', 'delivered'],
      ['u3', 'seen'],
      ['u4', 'accepted'],
      ['u5', 'declined'],
    ]);
    expect(sut.summary).toEqual({ recipients: 5, delivered: 4, seen: 3, accepted: 1, declined: 1 });
    expect(sut.devices[1]).toMatchObject({
      deliveredAt: at(1).toISOString(),
      acknowledgedBy: 'o2',
    });
    expect(sut.devices[4].declineReason).toBe('busy');
    expect(sut.escalations).toEqual([{ step: 'undelivered', firedAt: at(3).toISOString() }]);
    expect(sut).toMatchObject({ id: call.all_call_id, critical: true, createdBy: 'dispatcher-1' });
  });
});
