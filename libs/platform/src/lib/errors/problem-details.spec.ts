import { problemSchema } from '@gad/contracts';
import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import { z } from 'zod';
import { DomainException } from './domain.exception';
import { toJsonPointer } from './json-pointer';
import { toProblem } from './problem-details';
import { ValidationException } from './validation.exception';

const context = { instance: '/v1/incidents', traceId: 'a'.repeat(32) };

describe('toJsonPointer', () => {
  it('escapes ~ and / as RFC 6901 requires', () => {
    expect(toJsonPointer(['body', 'a/b', 'c~d', 0])).toBe('/body/a~1b/c~0d/0');
  });

  it('echoes keys holding NUL or unpaired surrogates as valid text', () => {
    expect(toJsonPointer(['body', 'a\u0000', '\ud800b', 'c\udfff', '\ud83d\ude91'])).toBe(
      '/body/a\ufffd/\ufffdb/c\ufffd/\ud83d\ude91',
    );
  });
});

describe('ValidationException.fromZodError', () => {
  const bodySchema = z.object({
    location: z.object({
      type: z.literal('Point'),
      coordinates: z.tuple([z.number(), z.number()]),
    }),
    tags: z.array(z.string()).optional(),
  });

  it('maps each issue to a pointer prefixed by the body location', () => {
    const result = bodySchema.safeParse({
      location: { type: 'Point', coordinates: ['x', 2] },
      tags: [1],
    });
    if (result.success) throw new Error('expected a failure');

    const sut = ValidationException.fromZodError(result.error, 'body');

    expect(sut.status).toBe(422);
    expect(sut.code).toBe('validation_failed');
    expect(sut.errors?.map((error) => error.pointer)).toEqual([
      '/body/location/coordinates/0',
      '/body/tags/0',
    ]);
    expect(sut.errors?.[0]?.code).toBe('invalid_type');
  });

  it('uses the query and headers locations', () => {
    const query = z.object({ limit: z.coerce.number().int().max(100) }).safeParse({ limit: '500' });
    const headers = z.object({ 'if-match': z.string() }).safeParse({});
    if (query.success || headers.success) throw new Error('expected failures');

    expect(ValidationException.fromZodError(query.error, 'query').errors?.[0]?.pointer).toBe(
      '/query/limit',
    );
    expect(ValidationException.fromZodError(headers.error, 'headers').errors?.[0]?.pointer).toBe(
      '/headers/if-match',
    );
  });

  it('points at each unrecognized key of a strict object', () => {
    const result = z
      .strictObject({ name: z.string() })
      .safeParse({ name: 'x', extra: 1, 'a/b': 2 });
    if (result.success) throw new Error('expected a failure');

    expect(
      ValidationException.fromZodError(result.error, 'body').errors?.map((e) => e.pointer),
    ).toEqual(['/body/extra', '/body/a~1b']);
  });
});

describe('toProblem', () => {
  it('maps a domain exception with its code, detail, errors and extensions', () => {
    const exception = new DomainException('incident_closed', 409, 'Incident is closed', {
      extensions: { currentVersion: 3, status: 200 },
    });

    const { problem, unexpected } = toProblem(exception, context);

    expect(problemSchema.parse(problem)).toBeTruthy();
    expect(problem).toMatchObject({
      status: 409,
      code: 'incident_closed',
      title: 'Conflict',
      detail: 'Incident is closed',
      instance: '/v1/incidents',
      traceId: context.traceId,
      currentVersion: 3,
    });
    expect(unexpected).toBe(false);
  });

  it('maps validation failures to 422 with field errors', () => {
    const { problem } = toProblem(
      new ValidationException([
        { pointer: '/body/name', message: 'Required', code: 'invalid_type' },
      ]),
      context,
    );

    expect(problem.status).toBe(422);
    expect(problem.errors).toEqual([
      { pointer: '/body/name', message: 'Required', code: 'invalid_type' },
    ]);
  });

  it('maps Nest HTTP exceptions by status', () => {
    expect(toProblem(new NotFoundException('Cannot GET /nope'), context).problem).toMatchObject({
      status: 404,
      code: 'not_found',
      detail: 'Cannot GET /nope',
    });
    expect(toProblem(new BadRequestException(['a', 'b']), context).problem.detail).toBe('a; b');
    expect(
      toProblem(new HttpException('Request body is too large', 413), context).problem.code,
    ).toBe('payload_too_large');
    expect(toProblem(new HttpException('x', 415), context).problem.code).toBe(
      'unsupported_media_type',
    );
  });

  it('maps Fastify client errors that carry a statusCode', () => {
    const error = Object.assign(new SyntaxError('Unexpected token } in JSON'), { statusCode: 400 });

    expect(toProblem(error, context).problem).toMatchObject({ status: 400, code: 'bad_request' });
  });

  it('answers unknown errors with a generic 500 that reveals nothing', () => {
    const { problem, unexpected } = toProblem(new Error('password=hunter2 at db.ts:12'), context);

    expect(problemSchema.parse(problem)).toBeTruthy();
    expect(problem).toMatchObject({
      status: 500,
      code: 'internal_error',
      title: 'Internal Server Error',
    });
    expect(JSON.stringify(problem)).not.toContain('hunter2');
    expect(unexpected).toBe(true);
  });

  it('hides the message of a 500 HttpException but keeps 503', () => {
    expect(
      toProblem(new HttpException('pool exhausted at x.ts', 500), context).problem.detail,
    ).not.toContain('pool');
    expect(toProblem(new HttpException('Try later', 503), context).problem).toMatchObject({
      code: 'overloaded',
      detail: 'Try later',
    });
  });

  it('never sends a code that is not ours (a PostgreSQL SQLSTATE) as the problem code', () => {
    const { problem, unexpected } = toProblem(
      new DomainException('22003', 502, 'value out of range for type double precision'),
      context,
    );
    expect(problem).toMatchObject({ status: 500, code: 'internal_error' });
    expect(JSON.stringify(problem)).not.toMatch(/22003|double precision/);
    expect(unexpected).toBe(true);
  });

  it('answers a statement cancelled at its timeout (SQLSTATE 57014) as 503 query_timeout', () => {
    const cancelled = Object.assign(new Error('canceling statement due to statement timeout'), {
      code: '57014',
    });
    const { problem, unexpected } = toProblem(cancelled, context);
    expect(problemSchema.parse(problem)).toBeTruthy();
    expect(problem).toMatchObject({ status: 503, code: 'query_timeout' });
    expect(JSON.stringify(problem)).not.toMatch(/57014|canceling/);
    expect(unexpected).toBe(true);
    // Wrapped by TypeORM as QueryFailedError: the same.
    expect(
      toProblem({ message: 'x', driverError: { code: '57014' } }, context).problem,
    ).toMatchObject({ status: 503, code: 'query_timeout' });
  });

  it('echoes only a bounded prefix of a long path', () => {
    const path = `/v1/${'a'.repeat(10_000)}`;
    const { problem } = toProblem(new NotFoundException(`Cannot GET ${path}`), {
      ...context,
      instance: path,
    });
    expect(problem.instance?.length).toBeLessThanOrEqual(200);
    expect(problem.detail?.length).toBeLessThanOrEqual(500);
  });
});
