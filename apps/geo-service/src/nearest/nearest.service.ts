import { Inject, Injectable } from '@nestjs/common';
import type { GeoNearestRequest, GeoNearestResponse } from '@gad/contracts';
import { NearestReader, NearestRepository } from '@gad/geo-read';
import { CLOCK, type Clock } from '@gad/platform';
import { GEO_SERVICE_CONFIG, type GeoServiceConfig } from '../geo-service.config';
import { geoInstruments } from '../metrics/geo.metrics';

/**
 * `geo.nearest` over RPC: the nearest read of `@gad/geo-read` (the same code api-gateway runs on
 * its read-only pool, docs/adr/0032) on geo-service's pool, under its `NEAREST_*` settings, timed
 * as `gad_geo_nearest_duration_seconds`.
 */
@Injectable()
export class NearestService {
  private readonly reader: NearestReader;

  constructor(
    repository: NearestRepository,
    @Inject(CLOCK) clock: Clock,
    @Inject(GEO_SERVICE_CONFIG) config: GeoServiceConfig,
  ) {
    this.reader = new NearestReader(repository, clock, {
      maxPositionAgeS: config.NEAREST_MAX_POSITION_AGE_S,
      exclusionScanLimit: config.NEAREST_EXCLUSION_SCAN_LIMIT,
    });
  }

  async nearest(request: GeoNearestRequest): Promise<GeoNearestResponse> {
    const started = performance.now();
    const reply = await this.reader.nearest(request);
    geoInstruments().nearestDuration.record((performance.now() - started) / 1000);
    return reply;
  }
}
