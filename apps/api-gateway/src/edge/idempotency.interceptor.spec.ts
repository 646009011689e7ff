import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { operations } from '@gad/contracts';
import { HTTP_OPERATION_KEY } from '@gad/platform';
import { lastValueFrom, of, throwError } from 'rxjs';
import { EdgeException } from './edge.exception';
import { canonicalJson, IdempotencyInterceptor } from './idempotency.interceptor';
import type { IdempotencyBegin, IdempotencyStore } from './idempotency.store';

function setup(begin: IdempotencyBegin, key: string | null = 'key-1') {
  const store = {
    begin: jest.fn().mockResolvedValue(begin),
    complete: jest.fn().mockResolvedValue(undefined),
    abandon: jest.fn().mockResolvedValue(undefined),
  };
  const reply = { status: jest.fn(), header: jest.fn() };
  reply.status.mockReturnValue(reply);
  reply.header.mockReturnValue(reply);
  const handler = (): void => undefined;
  Reflect.defineMetadata(HTTP_OPERATION_KEY, operations.createUser, handler);
  const request = {
    headers: key === null ? {} : { 'idempotency-key': key },
    params: {},
    body: { b: 1, a: 2 },
    user: { sub: 'u1', agencyId: 'a1', roles: ['admin'] },
  };
  const context = {
    getType: () => 'http',
    getHandler: () => handler,
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }),
  } as unknown as ExecutionContext;
  const sut = new IdempotencyInterceptor(new Reflector(), store as unknown as IdempotencyStore);
  return { sut, store, reply, context };
}

const handled = (value: unknown): CallHandler => ({ handle: () => of(value) });

describe('IdempotencyInterceptor', () => {
  it('runs the handler and stores its response under agency, user and key', async () => {
    const { sut, store, context } = setup({ kind: 'started' });

    await expect(lastValueFrom(sut.intercept(context, handled({ id: 'x' })))).resolves.toEqual({
      id: 'x',
    });
    const [key, fingerprint, owner] = store.begin.mock.calls[0] as [string, string, string];
    expect(owner).toMatch(/^[0-9a-f-]{36}$/);
    expect(key).toMatch(/^idem:a1:u1:[0-9a-f]{64}$/);
    expect(store.complete).toHaveBeenCalledWith(key, fingerprint, 201, { id: 'x' });
  });

  it('replays a stored response without running the handler', async () => {
    const { sut, reply, context } = setup({ kind: 'replay', status: 201, body: { id: 'first' } });
    const next = { handle: jest.fn() };

    await expect(lastValueFrom(sut.intercept(context, next))).resolves.toEqual({ id: 'first' });
    expect(next.handle).not.toHaveBeenCalled();
    expect(reply.status).toHaveBeenCalledWith(201);
    expect(reply.header).toHaveBeenCalledWith('idempotent-replayed', 'true');
  });

  it.each([
    [{ kind: 'mismatch' } as const, 422, 'idempotency_key_reused'],
    [{ kind: 'in_progress' } as const, 409, 'idempotency_in_progress'],
  ])('refuses %o with %i', async (begin, status, code) => {
    const { sut, context } = setup(begin);

    await expect(lastValueFrom(sut.intercept(context, handled({})))).rejects.toMatchObject({
      status,
      code,
    });
  });

  it('frees the key when the handler fails', async () => {
    const { sut, store, context } = setup({ kind: 'started' });
    const failing: CallHandler = { handle: () => throwError(() => new Error('boom')) };

    await expect(lastValueFrom(sut.intercept(context, failing))).rejects.toThrow('boom');
    expect(store.abandon).toHaveBeenCalled();
    expect(store.complete).not.toHaveBeenCalled();
  });

  it('refuses a malformed key and ignores requests without one', async () => {
    const bad = setup({ kind: 'started' }, 'has space');
    expect(() => bad.sut.intercept(bad.context, handled({}))).toThrow(EdgeException);

    const none = setup({ kind: 'started' }, null);
    await lastValueFrom(none.sut.intercept(none.context, handled({})));
    expect(none.store.begin).not.toHaveBeenCalled();
  });

  it('fingerprints bodies independently of key order', () => {
    expect(canonicalJson({ b: [1, { y: 2, x: 1 }], a: null })).toBe(
      canonicalJson({ a: null, b: [1, { x: 1, y: 2 }] }),
    );
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: '1' }));
  });
});
