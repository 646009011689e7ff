import { Controller, Get, Query } from '@nestjs/common';
import {
  GEO_RPC_SERVICE,
  geoNearestResponseSchema,
  nearestUnitsQuerySchema,
  RpcPatterns,
  type AccessClaims,
  type NearestUnitsQuery,
  type NearestUnitsResponse,
} from '@gad/contracts';
import { CurrentUser, Roles, ZodPipe } from '@gad/platform';
import { ServiceRpcClient } from '../rpc/service-rpc.client';

@Controller('v1/units')
export class UnitsController {
  constructor(private readonly rpc: ServiceRpcClient) {}

  /** Closest available units to a point, answered by geo-service's KNN query. */
  @Get('nearest')
  @Roles('dispatcher', 'supervisor', 'admin')
  nearest(
    @CurrentUser() user: AccessClaims,
    @Query(new ZodPipe(nearestUnitsQuerySchema, 'query')) query: NearestUnitsQuery,
  ): Promise<NearestUnitsResponse> {
    return this.rpc.call(
      GEO_RPC_SERVICE,
      user,
      RpcPatterns.GeoNearest,
      { ...query, agencyId: user.agencyId },
      geoNearestResponseSchema,
    );
  }
}
