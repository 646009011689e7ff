import { RpcRemoteError, RpcTimeoutError, type BusClient } from '@gad/bus';
import { DomainException } from '@gad/platform';
import { z } from 'zod';
import type { ApiGatewayConfig } from '../api-gateway.config';
import { ServiceRpcClient, statusOf } from './service-rpc.client';

describe('statusOf', () => {
  it.each([
    ['forbidden', 403],
    ['incident_forbidden', 403],
    ['validation_failed', 422],
    ['invalid_geometry', 422],
    ['perimeter_requires_incident', 422],
    ['geofence_not_found', 404],
    ['not_found', 404],
    ['geofence_version_conflict', 409],
    ['invalid_cursor', 400],
    ['audit_invalid_cursor', 400],
    ['unauthenticated', 401],
    ['rate_limited', 429],
    ['upstream_timeout', 504],
    ['invalid_reply', 502],
    ['unserialisable_reply', 502],
    ['internal_error', 502],
  ])('maps %s to %i', (code, status) => {
    expect(statusOf(code)).toBe(status);
  });
});

describe('ServiceRpcClient', () => {
  const user = { sub: 'u1', agencyId: 'agency-a', roles: ['dispatcher' as const] };
  const config = { RPC_TIMEOUT_MS: 100 } as ApiGatewayConfig;
  const failingWith = (error: Error) =>
    new ServiceRpcClient({ request: () => Promise.reject(error) } as unknown as BusClient, config);

  it('answers an unknown remote failure as 502 upstream_unavailable without its code or message', async () => {
    const sut = failingWith(
      new RpcRemoteError('22003', '"5e-324" is out of range for type double precision'),
    );
    const failure = await sut.call('geo-service', user, 'geo.x', {}, z.unknown()).catch((e) => e);
    expect(failure).toBeInstanceOf(DomainException);
    expect(failure).toMatchObject({ code: 'upstream_unavailable', status: 502 });
    expect((failure as DomainException).detail).not.toMatch(/22003|double precision/);
  });

  it('keeps a known domain code and its message', async () => {
    const sut = failingWith(new RpcRemoteError('geofence_not_found', 'no such fence'));
    await expect(sut.call('geo-service', user, 'geo.x', {}, z.unknown())).rejects.toMatchObject({
      code: 'geofence_not_found',
      status: 404,
      detail: 'no such fence',
    });
  });

  it('opens the circuit after consecutive upstream failures: 503 + retryAfter without calling', async () => {
    const request = jest.fn(() => Promise.reject(new RpcTimeoutError('geo-service', 'geo.x', 100)));
    const sut = new ServiceRpcClient(
      { request } as unknown as BusClient,
      {
        RPC_TIMEOUT_MS: 100,
        RPC_BREAKER_THRESHOLD: 3,
        RPC_BREAKER_HALF_OPEN_MS: 60_000,
      } as ApiGatewayConfig,
    );
    for (let i = 0; i < 3; i += 1) {
      await expect(sut.call('geo-service', user, 'geo.x', {}, z.unknown())).rejects.toMatchObject({
        status: 504,
      });
    }
    await expect(sut.call('geo-service', user, 'geo.x', {}, z.unknown())).rejects.toMatchObject({
      code: 'upstream_unavailable',
      status: 503,
      extensions: { retryAfter: 60 },
    });
    expect(request).toHaveBeenCalledTimes(3);
  });

  it('keeps the circuit closed for domain errors and per service', async () => {
    const request = jest.fn((service: string) =>
      Promise.reject(
        service === 'geo-service'
          ? new RpcRemoteError('geofence_not_found', 'no such fence')
          : new RpcTimeoutError(service, 'audit.x', 100),
      ),
    );
    const sut = new ServiceRpcClient(
      { request } as unknown as BusClient,
      {
        RPC_TIMEOUT_MS: 100,
        RPC_BREAKER_THRESHOLD: 2,
        RPC_BREAKER_HALF_OPEN_MS: 60_000,
      } as ApiGatewayConfig,
    );
    for (let i = 0; i < 2; i += 1) {
      await sut.call('audit-log-worker', user, 'audit.x', {}, z.unknown()).catch(() => undefined);
    }
    for (let i = 0; i < 5; i += 1) {
      await expect(sut.call('geo-service', user, 'geo.x', {}, z.unknown())).rejects.toMatchObject({
        status: 404,
      });
    }
    await expect(
      sut.call('audit-log-worker', user, 'audit.x', {}, z.unknown()),
    ).rejects.toMatchObject({ status: 503 });
  });
});
