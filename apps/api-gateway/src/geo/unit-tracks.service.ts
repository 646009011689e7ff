import { Injectable } from '@nestjs/common';
import {
  GEO_RPC_SERVICE,
  GeoRpcPatterns,
  operations,
  type AccessClaims,
  type UnitTrackQuery,
  type UnitTrackResponse,
} from '@gad/contracts';
import { ServiceRpcClient } from '../rpc/service-rpc.client';
import { UnitsService } from '../units/units.service';

/**
 * A unit's track from geo-service, for units of the caller's agency only: geo-service would answer
 * an empty track for any id, so the unit is looked up first (404 for another agency's unit).
 */
@Injectable()
export class UnitTracksService {
  constructor(
    private readonly units: UnitsService,
    private readonly rpc: ServiceRpcClient,
  ) {}

  async trackOf(
    user: AccessClaims,
    unitId: string,
    query: UnitTrackQuery,
  ): Promise<UnitTrackResponse> {
    await this.units.get(user, unitId);
    return this.rpc.call(
      GEO_RPC_SERVICE,
      user,
      GeoRpcPatterns.UnitTrack,
      { ...query, unitId, agencyId: user.agencyId },
      operations.unitTrack.success.schema,
    );
  }
}
