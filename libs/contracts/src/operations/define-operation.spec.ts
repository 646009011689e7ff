import { z } from 'zod';
import { text } from '../primitives/primitives.schema';
import { defineOperation, type HttpOperation } from './define-operation';
import { operations } from './operations';

const base = {
  operationId: 'probe',
  method: 'POST',
  path: '/v1/probe/{id}',
  summary: 'probe',
  tag: 'probe',
  roles: ['admin'],
  success: { status: 204, schema: undefined, description: 'done' },
} as const;

const strict = z.strictObject({ name: text() });
const loose = z.object({ name: text() });

describe('defineOperation', () => {
  it.each([
    ['body', { body: loose }],
    ['query', { query: loose }],
    ['params', { params: loose }],
    ['body', { body: loose.refine(() => true) }],
    ['body', { body: z.union([strict, loose]) }],
    ['body', { body: loose.transform((value) => value) }],
    ['body', { body: z.array(strict) }],
    ['body.location', { body: z.strictObject({ location: loose }) }],
    ['body.location', { body: z.strictObject({ location: loose.optional() }) }],
    ['body.items[]', { body: z.strictObject({ items: z.array(loose) }) }],
    [
      'body.items[].position',
      { body: z.strictObject({ items: z.array(z.strictObject({ position: loose })) }) },
    ],
    [
      'body.area',
      { body: z.strictObject({ area: z.discriminatedUnion('name', [strict, loose]) }) },
    ],
    ['body.pair[1]', { body: z.strictObject({ pair: z.tuple([strict, loose]) }) }],
    ['body.byKey{}', { body: z.strictObject({ byKey: z.record(z.string(), loose) }) }],
  ])('refuses an operation where %s is not a strict object', (where, request) => {
    expect(() => defineOperation({ ...base, ...request } as HttpOperation)).toThrow(
      `operation probe: ${where} must be a z.strictObject`,
    );
  });

  it('accepts strict objects, refined, unions of strict objects and pipes', () => {
    const request = {
      params: z.strictObject({ id: z.uuid() }),
      query: strict.partial(),
      body: z.union([
        strict.refine(() => true),
        z.strictObject({
          other: text(),
          nested: z.array(strict).optional(),
          tags: z.array(text()),
        }),
      ]),
    };
    expect(defineOperation({ ...base, ...request }).body).toBe(request.body);
    expect(() =>
      defineOperation({ ...base, body: strict.transform((value) => value.name) }),
    ).not.toThrow();
  });

  it('holds for every operation of the registry (a loose schema would throw on import)', () => {
    expect(Object.keys(operations).length).toBeGreaterThan(70);
  });
});
