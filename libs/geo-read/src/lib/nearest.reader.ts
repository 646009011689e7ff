import type { GeoNearestRequest, GeoNearestResponse } from '@gad/contracts';
import type { Clock } from '@gad/platform';
import { toExclusions, toNearestUnit } from './nearest.mapper';
import {
  UNBOUNDED_RADIUS_M,
  type NearestRepository,
  type NearestSearch,
} from './nearest.repository';

export interface NearestReaderOptions {
  /** Staleness limit when the request names no `maxAgeS` (`NEAREST_MAX_POSITION_AGE_S`). */
  maxPositionAgeS: number;
  /** Units scanned, closest first, to count those left out; 0 counts none (`NEAREST_EXCLUSION_SCAN_LIMIT`). */
  exclusionScanLimit: number;
}

/**
 * Nearest available units: a KNN scan over available units only (ranked and filtered on the
 * spheroid, see nearest.repository.sql), then the count of closer units that were left out (up to
 * the last answered unit, or the whole radius when fewer were found). Fixes older than `maxAgeS`,
 * or `maxPositionAgeS` when the request names none, are stale. The request is trusted: its caller
 * validated it (geo-service's RPC handler, api-gateway's route) and scoped it to the caller's
 * agency; every statement is filtered by `agencyId`.
 */
export class NearestReader {
  constructor(
    private readonly repository: Pick<NearestRepository, 'nearestAvailable' | 'exclusions'>,
    private readonly clock: Clock,
    private readonly options: NearestReaderOptions,
  ) {}

  async nearest(request: GeoNearestRequest): Promise<GeoNearestResponse> {
    const search: NearestSearch = {
      agencyId: request.agencyId,
      lon: request.lon,
      lat: request.lat,
      limit: request.limit,
      capabilities: [...new Set(request.capabilities ?? [])],
      oldest: new Date(
        this.clock.now().getTime() - (request.maxAgeS ?? this.options.maxPositionAgeS) * 1000,
      ),
      radiusM: request.maxDistanceM ?? UNBOUNDED_RADIUS_M,
    };
    const rows = await this.repository.nearestAvailable(search);
    const full = rows.length >= request.limit;
    const boundM = full ? rows[rows.length - 1].distance_m : search.radiusM;
    const scanLimit = this.options.exclusionScanLimit;
    const excluded =
      scanLimit > 0 ? await this.repository.exclusions(search, boundM, scanLimit) : undefined;
    return { items: rows.map(toNearestUnit), excluded: toExclusions(excluded) };
  }
}
