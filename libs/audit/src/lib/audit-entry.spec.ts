import { auditEntrySchema, uuidv7, type AuditEntry } from '@gad/contracts';
import { REDACTED } from './audit-redaction';
import {
  AuditEntryInvalidError,
  auditEntryOf,
  type AuditRecordInput,
} from './audit-recorder.service';

/**
 * `auditEntryOf` builds the entry without running zod over it (it checks only what the types
 * cannot guarantee). These tests hold it to the schema: every entry it returns is exactly what
 * `auditEntrySchema` returns for it (members, order, content), and it refuses exactly the entries
 * the schema refuses.
 */

const AT = new Date('2026-12-07T08:00:00.123Z');

/** A request's entry as the interceptor records it for `POST /v1/incidents`. */
const postEntry = (): AuditRecordInput => ({
  id: uuidv7(AT.getTime()),
  occurredAt: AT,
  agencyId: 'bench-agency',
  actor: { kind: 'user', id: 'dispatcher-1', roles: ['dispatcher'] },
  action: 'incident.create',
  object: { type: 'incident', id: '0193a1b2-0000-7000-8000-000000000001' },
  outcome: 'success',
  changes: {
    after: {
      id: '0193a1b2-0000-7000-8000-000000000001',
      type: 'structure_fire',
      priority: 'P2',
      location: { type: 'Point', coordinates: [-3.7038, 40.4168] },
      createdAt: AT,
      apiToken: 'must not be kept',
    },
  },
  source: { ip: '10.0.0.7', userAgent: 'console/1.0' },
  traceId: '0af7651916cd43dd8448eb211c80319c',
  details: { method: 'POST', route: '/v1/incidents' },
});

/** What the schema returns for `entry`, as JSON (member order included). */
const asSchemaReturns = (entry: AuditEntry): string =>
  JSON.stringify(auditEntrySchema.parse(entry));

describe('auditEntryOf', () => {
  it('returns the entry the schema returns for it: same members, order and content', () => {
    const inputs: AuditRecordInput[] = [
      postEntry(),
      // The least a caller gives: id and time filled in, outcome success.
      { agencyId: 'a', actor: { kind: 'system', id: 'sweeper' }, action: 'user.idle_sweep' },
      {
        ...postEntry(),
        object: { type: 'user' },
        outcome: 'denied',
        reason: 'missing role',
        changes: { before: { roles: ['dispatcher'] }, after: { roles: ['admin'] } },
        source: { ip: '10.0.0.8' },
      },
      // Text jsonb cannot hold is kept in free-text members (the worker stores it escaped).
      {
        ...postEntry(),
        reason: 'bad\u0000byte',
        object: { type: 'incident\ud800', id: 'x\u0000' },
        source: { userAgent: 'agent\udfff' },
        details: { note: 'nul \u0000 and lone \ud83d' },
      },
      // Members a caller's object carries beyond the schema are not kept (zod stripped them).
      {
        ...postEntry(),
        actor: { kind: 'device', id: 'unit-7', extra: 'x' } as unknown as AuditRecordInput['actor'],
        object: { type: 'unit', id: 'u-7', label: 'x' } as unknown as AuditRecordInput['object'],
      },
    ];
    for (const input of inputs) {
      const entry = auditEntryOf(input, 'api-gateway');
      expect(JSON.stringify(entry)).toBe(asSchemaReturns(entry));
    }
  });

  it('fills in id, time and service, cuts long text and redacts secrets', () => {
    const entry = auditEntryOf(
      {
        ...postEntry(),
        id: undefined,
        occurredAt: undefined,
        reason: 'r'.repeat(2_500),
        source: { ip: 'i'.repeat(150), userAgent: 'u'.repeat(900) },
      },
      'api-gateway',
    );
    expect(entry.service).toBe('api-gateway');
    expect(entry.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(entry.occurredAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(entry.reason).toHaveLength(2_000);
    expect(entry.source).toEqual({ ip: 'i'.repeat(100), userAgent: 'u'.repeat(500) });
    expect(entry.changes?.after).toMatchObject({ apiToken: REDACTED, createdAt: AT.toISOString() });
    expect(entry.actor).toEqual({ kind: 'user', id: 'dispatcher-1', roles: ['dispatcher'] });
  });

  it.each<[string, Partial<AuditRecordInput>, string]>([
    ['an empty agency', { agencyId: '' }, 'agencyId'],
    ['a long agency', { agencyId: 'a'.repeat(101) }, 'agencyId'],
    ['a NUL in the agency', { agencyId: 'a\u0000' }, 'agencyId'],
    ['an unknown actor kind', { actor: { kind: 'robot' as 'user', id: 'r' } }, 'actor.kind'],
    ['an empty actor id', { actor: { kind: 'user', id: '' } }, 'actor.id'],
    [
      'a lone surrogate in a role',
      { actor: { kind: 'user', id: 'u', roles: ['\udc00'] } },
      'actor.roles.0',
    ],
    ['a long action', { action: 'x'.repeat(101) }, 'action'],
    ['an empty service', { service: '' }, 'service'],
    ['an empty object type', { object: { type: '' } }, 'object.type'],
    ['a long object id', { object: { type: 'incident', id: 'i'.repeat(201) } }, 'object.id'],
    ['an unknown outcome', { outcome: 'maybe' as 'success' }, 'outcome'],
    ['a trace id that is not 32 hex', { traceId: 'XYZ' }, 'traceId'],
    ['an id that is not a UUIDv7', { id: 'not-a-uuid' }, 'id'],
  ])('refuses %s with the member named, as the schema does', (_, change, path) => {
    const input = { ...postEntry(), ...change };
    expect(() => auditEntryOf(input, 'api-gateway')).toThrow(AuditEntryInvalidError);
    expect(() => auditEntryOf(input, 'api-gateway')).toThrow(new RegExp(`${path}: `));
  });

  it('accepts exactly the entries the schema accepts (generated members)', () => {
    // A small deterministic generator of strings around each member's limits and formats.
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
    const strings = [
      '',
      'a',
      'x'.repeat(100),
      'x'.repeat(101),
      'x'.repeat(200),
      'x'.repeat(201),
      'nul\u0000',
      'lone\ud800',
      'pair\ud83d\ude00',
      '0af7651916cd43dd8448eb211c80319c',
      '0AF7651916CD43DD8448EB211C80319C',
      uuidv7(AT.getTime()),
    ];
    let refused = 0;
    for (let round = 0; round < 2_000; round += 1) {
      const input: AuditRecordInput = {
        ...postEntry(),
        agencyId: pick(strings),
        action: pick(strings),
        actor: { kind: pick(['user', 'system', 'robot']) as 'user', id: pick(strings) },
        object: { type: pick(strings), id: pick([undefined, ...strings]) },
        traceId: pick([undefined, ...strings]),
        id: pick([undefined, ...strings]),
        service: pick([undefined, ...strings]),
      };
      let entry: AuditEntry | undefined;
      try {
        entry = auditEntryOf(input, 'api-gateway');
      } catch (error) {
        expect(error).toBeInstanceOf(AuditEntryInvalidError);
      }
      if (entry) {
        expect(JSON.stringify(entry)).toBe(asSchemaReturns(entry));
        continue;
      }
      refused += 1;
      // What the schema says of the same members, built as the entry would have been.
      const candidate = {
        id: input.id ?? uuidv7(AT.getTime()),
        occurredAt: AT.toISOString(),
        agencyId: input.agencyId,
        actor: input.actor,
        service: input.service ?? 'api-gateway',
        action: input.action,
        object: input.object?.id === undefined ? { type: input.object?.type } : input.object,
        outcome: 'success',
        traceId: input.traceId,
      };
      expect(auditEntrySchema.safeParse(candidate).success).toBe(false);
    }
    // Both kinds were generated.
    expect(refused).toBeGreaterThan(100);
    expect(refused).toBeLessThan(2_000);
  });
});
