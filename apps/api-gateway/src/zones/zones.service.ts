import { Inject, Injectable } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import {
  GEO_RPC_SERVICE,
  GeoRpcPatterns,
  geoGeofenceZoneAtReplySchema,
  type AccessClaims,
} from '@gad/contracts';
import { createLogger } from '@gad/observability';
import { DomainException } from '@gad/platform';
import { API_GATEWAY_CONFIG, type ApiGatewayConfig } from '../api-gateway.config';
import { ServiceRpcClient } from '../rpc/service-rpc.client';

/**
 * The zone looked up for a location: a zone geofence of the agency (`geofence`), none
 * (`cell`: the incident is reported under its geohash-5 cell) or no answer (`unresolved`: the cell
 * too, and the incident records that the lookup failed).
 */
export type ZoneLookup =
  | { source: 'geofence'; id: string; name: string }
  | { source: 'cell' | 'unresolved'; id: null; name: null };

const unresolved = metrics
  .getMeter('api-gateway')
  .createCounter('gad_incident_zone_unresolved_total', {
    description: 'Incidents created or moved while geo-service did not name their zone',
  });

/**
 * Named zones (docs/adr/0027): asks geo-service, which owns the geofences, for the agency's zone
 * geofence containing a point, under a short deadline (ZONE_LOOKUP_TIMEOUT_MS) and the service's
 * circuit breaker. Never throws: an incident is created even when geo-service is down.
 */
@Injectable()
export class ZonesService {
  private readonly logger = createLogger('zones');

  constructor(
    private readonly rpc: ServiceRpcClient,
    @Inject(API_GATEWAY_CONFIG) private readonly config: ApiGatewayConfig,
  ) {}

  async zoneAt(user: AccessClaims, lon: number, lat: number): Promise<ZoneLookup> {
    try {
      const reply = await this.rpc.call(
        GEO_RPC_SERVICE,
        user,
        GeoRpcPatterns.GeofenceZoneAt,
        { agencyId: user.agencyId, lon, lat },
        geoGeofenceZoneAtReplySchema,
        { timeoutMs: this.config.ZONE_LOOKUP_TIMEOUT_MS, read: true },
      );
      return reply.zone
        ? { source: 'geofence', id: reply.zone.id, name: reply.zone.name }
        : { source: 'cell', id: null, name: null };
    } catch (error) {
      unresolved.add(1);
      // An open circuit (503) was logged once when it opened; anything else is logged here.
      if (!(error instanceof DomainException && error.status === 503)) {
        this.logger.warn(
          { agencyId: user.agencyId, err: (error as Error).message },
          'zone lookup failed: the incident is reported under its geohash cell',
        );
      }
      return { source: 'unresolved', id: null, name: null };
    }
  }
}
