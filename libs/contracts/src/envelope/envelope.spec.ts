import { createEnvelope, envelopeSchema, traceIdOf } from './envelope.schema';
import { UUID_V7_PATTERN, uuidv7 } from './uuidv7';
import { parseEventData } from '../events/event-registry';

describe('uuidv7', () => {
  it('is a valid v7 UUID that sorts by creation time', () => {
    const earlier = uuidv7(1_700_000_000_000);
    const later = uuidv7(1_700_000_000_001);
    expect(earlier).toMatch(UUID_V7_PATTERN);
    expect(earlier < later).toBe(true);
  });

  it('carries the milliseconds in its first 48 bits and never repeats across pool refills', () => {
    const at = Date.UTC(2026, 11, 2, 6, 30, 0, 123);
    const ids = Array.from({ length: 5_000 }, () => uuidv7(at));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      expect(id).toMatch(UUID_V7_PATTERN);
      expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at);
    }
    // The random part is spread over all hex digits, not stuck on a refilled or zeroed pool.
    const randomDigits = new Set(ids.flatMap((id) => [...id.replace(/-/g, '').slice(13)]));
    expect(randomDigits.size).toBe(16);
  });
});

describe('envelope', () => {
  const actor = { kind: 'user' as const, id: 'u1' };

  it('creates envelopes that satisfy the schema', () => {
    const sut = createEnvelope({ type: 'incident.created', agencyId: 'a1', actor, data: { x: 1 } });
    expect(envelopeSchema.parse(sut)).toEqual(sut);
    expect(sut.version).toBe(1);
  });

  it('rejects an envelope without a UUIDv7 id or with a malformed traceparent', () => {
    const sut = createEnvelope({ type: 'incident.created', agencyId: 'a1', actor, data: {} });
    expect(envelopeSchema.safeParse({ ...sut, id: 'not-a-uuid' }).success).toBe(false);
    expect(envelopeSchema.safeParse({ ...sut, traceparent: 'garbage' }).success).toBe(false);
  });

  it('extracts the trace id from a traceparent', () => {
    expect(traceIdOf('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')).toBe(
      '0af7651916cd43dd8448eb211c80319c',
    );
  });
});

describe('parseEventData', () => {
  it('rejects unknown event types and invalid data with a reason', () => {
    expect(parseEventData('incident.exploded', 1, {})).toEqual({
      success: false,
      error: 'unknown event incident.exploded@v1',
    });
    const bad = parseEventData('incident.created', 1, { incidentId: 'x' });
    expect(bad.success).toBe(false);
  });
});
