import type { GeoGeofenceZoneAtReply, GeoGeofenceZoneAtRequest } from '@gad/contracts';
import type { ZoneRepository } from './zone.repository';

/**
 * The agency's zone geofence containing a point (incident reporting zones, docs/adr/0027), or
 * `null`. The request is trusted: its caller validated it (geo-service's RPC handler) or built it
 * with the caller's agency (api-gateway); the statement is filtered by `agencyId`.
 */
export class ZoneReader {
  constructor(private readonly repository: Pick<ZoneRepository, 'zoneAt'>) {}

  async zoneAt(request: GeoGeofenceZoneAtRequest): Promise<GeoGeofenceZoneAtReply> {
    const zone = await this.repository.zoneAt(request.agencyId, request.lon, request.lat);
    return { zone: zone ? { id: zone.id, name: zone.name } : null };
  }
}
