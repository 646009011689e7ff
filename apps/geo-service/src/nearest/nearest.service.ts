import { Inject, Injectable } from '@nestjs/common';
import type { GeoNearestRequest, GeoNearestResponse } from '@gad/contracts';
import { CLOCK, type Clock } from '@gad/platform';
import { GEO_SERVICE_CONFIG, type GeoServiceConfig } from '../geo-service.config';
import { geoInstruments } from '../metrics/geo.metrics';
import { toExclusions, toNearestUnit } from './nearest.mapper';
import { NearestRepository, UNBOUNDED_RADIUS_M, type NearestSearch } from './nearest.repository';

/**
 * Nearest available units: a KNN scan over available units only (ranked and filtered on the
 * spheroid, see nearest.repository.sql), then the count of closer units that were left out (up to
 * the last answered unit, or the whole radius when fewer were found). Fixes older than `maxAgeS`,
 * or `NEAREST_MAX_POSITION_AGE_S` when the request names none, are stale.
 */
@Injectable()
export class NearestService {
  constructor(
    private readonly repository: NearestRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(GEO_SERVICE_CONFIG) private readonly config: GeoServiceConfig,
  ) {}

  async nearest(request: GeoNearestRequest): Promise<GeoNearestResponse> {
    const search: NearestSearch = {
      agencyId: request.agencyId,
      lon: request.lon,
      lat: request.lat,
      limit: request.limit,
      capabilities: [...new Set(request.capabilities ?? [])],
      oldest: new Date(
        this.clock.now().getTime() -
          (request.maxAgeS ?? this.config.NEAREST_MAX_POSITION_AGE_S) * 1000,
      ),
      radiusM: request.maxDistanceM ?? UNBOUNDED_RADIUS_M,
    };
    const started = performance.now();
    const rows = await this.repository.nearestAvailable(search);
    const full = rows.length >= request.limit;
    const boundM = full ? rows[rows.length - 1].distance_m : search.radiusM;
    const scanLimit = this.config.NEAREST_EXCLUSION_SCAN_LIMIT;
    const excluded =
      scanLimit > 0 ? await this.repository.exclusions(search, boundM, scanLimit) : undefined;
    geoInstruments().nearestDuration.record((performance.now() - started) / 1000);
    return { items: rows.map(toNearestUnit), excluded: toExclusions(excluded) };
  }
}
