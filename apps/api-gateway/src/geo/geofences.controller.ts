import { Controller } from '@nestjs/common';
import {
  GEO_RPC_SERVICE,
  GeoRpcPatterns,
  geoGeofenceDeleteReplySchema,
  operations,
  type AccessClaims,
  type CreateGeofenceRequest,
  type Geofence,
  type GeofenceListResponse,
  type ListGeofencesQuery,
  type UpdateGeofenceRequest,
} from '@gad/contracts';
import { Audited } from '@gad/audit';
import {
  CurrentUser,
  HttpOperation,
  OperationBody,
  OperationParams,
  OperationQuery,
} from '@gad/platform';
import { ServiceRpcClient } from '../rpc/service-rpc.client';

/** Geofence CRUD, forwarded 1:1 to geo-service's `geo.geofences.*` RPCs in the caller's agency. */
@Controller()
export class GeofencesController {
  constructor(private readonly rpc: ServiceRpcClient) {}

  @HttpOperation(operations.createGeofence)
  @Audited({ action: 'geofence.create', objectType: 'geofence' })
  create(
    @CurrentUser() user: AccessClaims,
    @OperationBody(operations.createGeofence) body: CreateGeofenceRequest,
  ): Promise<Geofence> {
    return this.rpc.call(
      GEO_RPC_SERVICE,
      user,
      GeoRpcPatterns.GeofenceCreate,
      { ...body, agencyId: user.agencyId },
      operations.createGeofence.success.schema,
    );
  }

  @HttpOperation(operations.listGeofences)
  list(
    @CurrentUser() user: AccessClaims,
    @OperationQuery(operations.listGeofences) query: ListGeofencesQuery,
  ): Promise<GeofenceListResponse> {
    return this.rpc.call(
      GEO_RPC_SERVICE,
      user,
      GeoRpcPatterns.GeofenceList,
      { ...query, agencyId: user.agencyId },
      operations.listGeofences.success.schema,
    );
  }

  @HttpOperation(operations.getGeofence)
  get(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.getGeofence) params: { id: string },
  ): Promise<Geofence> {
    return this.rpc.call(
      GEO_RPC_SERVICE,
      user,
      GeoRpcPatterns.GeofenceGet,
      { id: params.id, agencyId: user.agencyId },
      operations.getGeofence.success.schema,
    );
  }

  @HttpOperation(operations.updateGeofence)
  @Audited({ action: 'geofence.update', objectType: 'geofence' })
  update(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.updateGeofence) params: { id: string },
    @OperationBody(operations.updateGeofence) body: UpdateGeofenceRequest,
  ): Promise<Geofence> {
    return this.rpc.call(
      GEO_RPC_SERVICE,
      user,
      GeoRpcPatterns.GeofenceUpdate,
      { ...body, id: params.id, agencyId: user.agencyId },
      operations.updateGeofence.success.schema,
    );
  }

  @HttpOperation(operations.deleteGeofence)
  @Audited({ action: 'geofence.delete', objectType: 'geofence' })
  async delete(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.deleteGeofence) params: { id: string },
  ): Promise<void> {
    await this.rpc.call(
      GEO_RPC_SERVICE,
      user,
      GeoRpcPatterns.GeofenceDelete,
      { id: params.id, agencyId: user.agencyId },
      geoGeofenceDeleteReplySchema,
    );
  }
}
