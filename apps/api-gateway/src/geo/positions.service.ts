import { Injectable } from '@nestjs/common';
import {
  GEO_RPC_SERVICE,
  GeoRpcPatterns,
  operations,
  type AccessClaims,
  type PositionsBatchRequest,
  type PositionsIngestResult,
} from '@gad/contracts';
import { ServiceRpcClient } from '../rpc/service-rpc.client';
import { UnitException } from '../units/units.exception';

/** Roles that report positions for any unit of their agency (tracker bridges, admins). */
const FLEET_REPORTERS = new Set(['service', 'admin']);

/**
 * Position batches over REST, scoped as the `/field` socket scopes them: an officer reports only
 * the unit of its token (`unitId` claim); services and admins report any unit of the agency.
 */
@Injectable()
export class PositionsService {
  constructor(private readonly rpc: ServiceRpcClient) {}

  report(user: AccessClaims, body: PositionsBatchRequest): Promise<PositionsIngestResult> {
    if (!user.roles.some((role) => FLEET_REPORTERS.has(role))) {
      const foreign = body.positions.find((fix) => fix.unitId !== user.unitId);
      if (foreign) {
        throw UnitException.notYourUnit(foreign.unitId);
      }
    }
    return this.rpc.call(
      GEO_RPC_SERVICE,
      user,
      GeoRpcPatterns.PositionsIngest,
      { ...body, agencyId: user.agencyId },
      operations.reportPositions.success.schema,
    );
  }
}
