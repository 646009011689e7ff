import { Controller } from '@nestjs/common';
import {
  AuditActions,
  GEO_RPC_SERVICE,
  GeoRpcPatterns,
  operations,
  type AccessClaims,
  type NearestUnitsQuery,
  type NearestUnitsResponse,
  type PositionsBatchRequest,
  type PositionsInBboxQuery,
  type PositionsInBboxResponse,
  type PositionsIngestResult,
  type UnitTrackQuery,
  type UnitTrackResponse,
} from '@gad/contracts';
import { Audited } from '@gad/audit';
import { GeoReadModel } from '@gad/geo-read';
import {
  CurrentUser,
  HttpOperation,
  OperationBody,
  OperationParams,
  OperationQuery,
} from '@gad/platform';
import { AgencySettingsReader } from '../agencies/agency-settings.reader';
import { HazardsService } from '../hazards/hazards.service';
import { ServiceRpcClient } from '../rpc/service-rpc.client';
import { PositionsService } from './positions.service';
import { UnitTracksService } from './unit-tracks.service';

/**
 * Positions, tracks and nearest units: geo reads and writes answered by geo-service over the bus
 * (it owns the `geo` schema), but the nearest units, read here on the read-only geo pool
 * (docs/adr/0032).
 */
@Controller()
export class PositionsController {
  constructor(
    private readonly rpc: ServiceRpcClient,
    private readonly geoRead: GeoReadModel,
    private readonly tracks: UnitTracksService,
    private readonly positions: PositionsService,
    private readonly agencySettings: AgencySettingsReader,
    private readonly hazards: HazardsService,
  ) {}

  /**
   * Without `maxAgeS`, the agency's staleness setting (else NEAREST_MAX_POSITION_AGE_S) applies.
   * The premise and hazard information at the point comes with the units. The query was validated
   * by the route (the same schema as geo-service's `geo.nearest`) and is scoped to the caller's
   * agency from the token; the rows are ours, so the answer is not validated again.
   */
  @HttpOperation(operations.nearestUnits)
  async nearest(
    @CurrentUser() user: AccessClaims,
    @OperationQuery(operations.nearestUnits) query: NearestUnitsQuery,
  ): Promise<NearestUnitsResponse> {
    const maxAgeS = query.maxAgeS ?? (await this.agencySettings.nearestMaxAgeS(user.agencyId));
    const [units, hazards] = await Promise.all([
      this.geoRead.nearest({
        ...query,
        ...(maxAgeS !== undefined ? { maxAgeS } : {}),
        agencyId: user.agencyId,
      }),
      this.hazards.noticesForNearest(user.agencyId, query.lon, query.lat),
    ]);
    return hazards.length > 0 ? { ...units, hazards } : units;
  }

  /**
   * Audited per request in summary form (who, when, the unit), not per fix: positions are
   * telemetry (docs/adr/0021). Officers: own unit only.
   */
  @HttpOperation(operations.reportPositions)
  @Audited({ action: AuditActions.PositionsReported, objectType: 'unit', captureResult: false })
  reportPositions(
    @CurrentUser() user: AccessClaims,
    @OperationBody(operations.reportPositions) body: PositionsBatchRequest,
  ): Promise<PositionsIngestResult> {
    return this.positions.report(user, body);
  }

  @HttpOperation(operations.positionsInBbox)
  positionsInBbox(
    @CurrentUser() user: AccessClaims,
    @OperationQuery(operations.positionsInBbox) query: PositionsInBboxQuery,
  ): Promise<PositionsInBboxResponse> {
    return this.rpc.call(
      GEO_RPC_SERVICE,
      user,
      GeoRpcPatterns.PositionsInBbox,
      { ...query, agencyId: user.agencyId },
      operations.positionsInBbox.success.schema,
    );
  }

  @HttpOperation(operations.unitTrack)
  @Audited({ action: AuditActions.TrackRead, objectType: 'unit', idParam: 'unitId' })
  track(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.unitTrack) params: { unitId: string },
    @OperationQuery(operations.unitTrack) query: UnitTrackQuery,
  ): Promise<UnitTrackResponse> {
    return this.tracks.trackOf(user, params.unitId, query);
  }
}
