import { Controller, Get, Query } from '@nestjs/common';
import {
  geoNearestResponseSchema,
  nearestUnitsQuerySchema,
  RpcPatterns,
  type AccessClaims,
  type NearestUnitsQuery,
  type NearestUnitsResponse,
} from '@gad/contracts';
import { CurrentUser, Roles, ZodPipe } from '@gad/platform';
import { GeoClient } from './geo.client';

@Controller('v1/units')
export class UnitsController {
  constructor(private readonly geo: GeoClient) {}

  /** Closest available units to a point, answered by geo-service's KNN query. */
  @Get('nearest')
  @Roles('dispatcher', 'supervisor', 'admin')
  nearest(
    @CurrentUser() user: AccessClaims,
    @Query(new ZodPipe(nearestUnitsQuerySchema, 'query')) query: NearestUnitsQuery,
  ): Promise<NearestUnitsResponse> {
    return this.geo.call(
      user,
      RpcPatterns.GeoNearest,
      { ...query, agencyId: user.agencyId },
      geoNearestResponseSchema,
    );
  }
}
