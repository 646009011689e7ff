import { ifMatchAccepts } from './incidents.service';
import { decodeIncidentCursor, encodeIncidentCursor } from './incidents.mapper';
import type { IncidentRow } from './incidents.repository';
import { canIncidentMove, INCIDENT_TRANSITIONS } from './incident-status.constants';

describe('incident ETags, cursors and status machine', () => {
  it('accepts If-Match lists, weak tags and * for the current version only', () => {
    expect(ifMatchAccepts('"3"', 3)).toBe(true);
    expect(ifMatchAccepts('W/"3"', 3)).toBe(true);
    expect(ifMatchAccepts('"1", "3"', 3)).toBe(true);
    expect(ifMatchAccepts('*', 7)).toBe(true);
    expect(ifMatchAccepts('"2"', 3)).toBe(false);
    expect(ifMatchAccepts('3', 3)).toBe(false);
    expect(ifMatchAccepts('"33"', 3)).toBe(false);
  });

  it('round-trips a cursor and rejects anything else', () => {
    const row = { created_us: '1795000000123456', id: '01a20000-0000-7000-8000-000000000001' };
    const cursor = encodeIncidentCursor(row as IncidentRow);
    expect(decodeIncidentCursor(cursor)).toEqual({ createdUs: row.created_us, id: row.id });
    expect(decodeIncidentCursor('not-a-cursor')).toBeUndefined();
    expect(
      decodeIncidentCursor(Buffer.from("1.x'; DROP TABLE incidents").toString('base64url')),
    ).toBeUndefined();
  });

  it('ends in closed or cancelled and never goes back to new', () => {
    expect(INCIDENT_TRANSITIONS.closed).toEqual([]);
    expect(INCIDENT_TRANSITIONS.cancelled).toEqual([]);
    for (const from of Object.keys(INCIDENT_TRANSITIONS) as (keyof typeof INCIDENT_TRANSITIONS)[]) {
      expect(canIncidentMove(from, 'new')).toBe(false);
    }
    expect(canIncidentMove('new', 'dispatched')).toBe(true);
    expect(canIncidentMove('resolved', 'in_progress')).toBe(true);
  });
});
