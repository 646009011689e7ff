import { statusOf } from './service-rpc.client';

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
