import { Inject, Injectable } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import type { AccessClaims } from '@gad/contracts';
import { GeoReadModel } from '@gad/geo-read';
import { createLogger } from '@gad/observability';
import { DomainException } from '@gad/platform';
import { API_GATEWAY_CONFIG, type ApiGatewayConfig } from '../api-gateway.config';

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
    description: 'Incidents created or moved while their zone could not be looked up',
  });

/** At most one warning per this many ms while the geo read pool cannot be reached. */
const UNAVAILABLE_LOG_INTERVAL_MS = 10_000;

/** A lookup given up at ZONE_LOOKUP_TIMEOUT_MS (the statement runs on to its statement timeout). */
class ZoneLookupDeadline extends Error {}

/**
 * Named zones (docs/adr/0027): the agency's zone geofence containing a point, read by the gateway
 * itself with geo-service's statement on the read-only geo pool (`GeoReadModel.zoneAt`,
 * docs/adr/0036; it was the `geo.geofences.zone_at` RPC). The agency is always the caller's. A
 * lookup waits at most ZONE_LOOKUP_TIMEOUT_MS; the statement itself is cancelled at the pool's
 * statement timeout (GEO_READ_STATEMENT_TIMEOUT_MS). Never throws: when the lookup fails
 * (PostgreSQL unreachable, past either deadline) the incident is created under its cell and marked
 * `unresolved`, as it was while geo-service was down.
 */
@Injectable()
export class ZonesService {
  private readonly logger = createLogger('zones');
  private unavailableLoggedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly geoRead: GeoReadModel,
    @Inject(API_GATEWAY_CONFIG) private readonly config: ApiGatewayConfig,
  ) {}

  async zoneAt(user: AccessClaims, lon: number, lat: number): Promise<ZoneLookup> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const reply = await Promise.race([
        this.geoRead.zoneAt({ agencyId: user.agencyId, lon, lat }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new ZoneLookupDeadline('zone lookup past its deadline')),
            this.config.ZONE_LOOKUP_TIMEOUT_MS,
          );
        }),
      ]);
      return reply.zone
        ? { source: 'geofence', id: reply.zone.id, name: reply.zone.name }
        : { source: 'cell', id: null, name: null };
    } catch (error) {
      unresolved.add(1);
      this.warn(user.agencyId, error);
      return { source: 'unresolved', id: null, name: null };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Logs a failed lookup; an unreachable pool (503) at most once per interval, not per request. */
  private warn(agencyId: string, error: unknown): void {
    if (error instanceof DomainException && error.status === 503) {
      const now = Date.now();
      if (now - this.unavailableLoggedAt < UNAVAILABLE_LOG_INTERVAL_MS) {
        return;
      }
      this.unavailableLoggedAt = now;
    }
    this.logger.warn(
      { agencyId, err: (error as Error)?.message },
      'zone lookup failed: the incident is reported under its geohash cell',
    );
  }
}
