import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import {
  GEO_RPC_SERVICE,
  GeoRpcPatterns,
  geoNearestResponseSchema,
  nearestUnitsQuerySchema,
  positionsBatchRequestSchema,
  positionsIngestResultSchema,
  type AccessClaims,
  type NearestUnitsQuery,
  type NearestUnitsResponse,
  type PositionsBatchRequest,
  type PositionsIngestResult,
} from '@gad/contracts';
import { Audited } from '@gad/audit';
import { CurrentUser, Roles, ZodPipe } from '@gad/platform';
import { ServiceRpcClient } from '../rpc/service-rpc.client';

/** Geo reads and writes, answered by geo-service over the bus (it owns the `geo` schema). */
@Controller('v1')
export class UnitsController {
  constructor(private readonly rpc: ServiceRpcClient) {}

  /** Closest available units to a point, answered by geo-service's KNN query. */
  @Get('units/nearest')
  @Roles('dispatcher', 'supervisor', 'admin')
  nearest(
    @CurrentUser() user: AccessClaims,
    @Query(new ZodPipe(nearestUnitsQuerySchema, 'query')) query: NearestUnitsQuery,
  ): Promise<NearestUnitsResponse> {
    return this.rpc.call(
      GEO_RPC_SERVICE,
      user,
      GeoRpcPatterns.Nearest,
      { ...query, agencyId: user.agencyId },
      geoNearestResponseSchema,
    );
  }

  /** A batch of fixes from a tracker without a socket (up to 500). Not audited per fix. */
  @Post('positions')
  @HttpCode(200)
  @Roles('officer', 'service', 'admin')
  @Audited({ skip: true })
  reportPositions(
    @CurrentUser() user: AccessClaims,
    @Body(new ZodPipe(positionsBatchRequestSchema, 'body')) body: PositionsBatchRequest,
  ): Promise<PositionsIngestResult> {
    return this.rpc.call(
      GEO_RPC_SERVICE,
      user,
      GeoRpcPatterns.PositionsIngest,
      { ...body, agencyId: user.agencyId },
      positionsIngestResultSchema,
    );
  }
}
