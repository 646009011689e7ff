import { RpcRemoteError, type BusClient } from '@gad/bus';
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
});
