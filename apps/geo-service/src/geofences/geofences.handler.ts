import { Controller, UseFilters, UseGuards } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { BusRpcExceptionFilter } from '@gad/bus';
import {
  geoGeofenceCreateRequestSchema,
  geoGeofenceDeleteRequestSchema,
  geoGeofenceGetRequestSchema,
  geoGeofenceListRequestSchema,
  geoGeofenceUnitsInsideRequestSchema,
  geoGeofenceUpdateRequestSchema,
  geoGeofenceZoneAtRequestSchema,
  GeoRpcPatterns,
  type Geofence,
  type GeofenceListResponse,
  type GeoGeofenceCreateRequest,
  type GeoGeofenceDeleteRequest,
  type GeoGeofenceGetRequest,
  type GeoGeofenceListRequest,
  type GeoGeofenceUnitsInsideReply,
  type GeoGeofenceUpdateRequest,
  type GeoGeofenceZoneAtReply,
  type GeoGeofenceZoneAtRequest,
} from '@gad/contracts';
import { ZodPipe } from '@gad/platform';
import { GeofencesService } from './geofences.service';
import { AgencyScopeGuard } from '../rpc/agency-scope.guard';

/** Geofence CRUD RPCs (`geo.geofences.*`), the units inside a fence and the zone at a point. */
// Keeps domain error codes in RPC replies (also when the transport's global filter is not applied).
@UseFilters(new BusRpcExceptionFilter())
@UseGuards(AgencyScopeGuard)
@Controller()
export class GeofencesHandler {
  constructor(private readonly geofences: GeofencesService) {}

  @MessagePattern(GeoRpcPatterns.GeofenceCreate)
  create(
    @Payload(new ZodPipe(geoGeofenceCreateRequestSchema)) request: GeoGeofenceCreateRequest,
  ): Promise<Geofence> {
    return this.geofences.create(request);
  }

  @MessagePattern(GeoRpcPatterns.GeofenceGet)
  get(
    @Payload(new ZodPipe(geoGeofenceGetRequestSchema, 'params')) request: GeoGeofenceGetRequest,
  ): Promise<Geofence> {
    return this.geofences.get(request.agencyId, request.id);
  }

  @MessagePattern(GeoRpcPatterns.GeofenceUnitsInside)
  unitsInside(
    @Payload(new ZodPipe(geoGeofenceUnitsInsideRequestSchema, 'params'))
    request: GeoGeofenceGetRequest,
  ): Promise<GeoGeofenceUnitsInsideReply> {
    return this.geofences.unitsInside(request.agencyId, request.id);
  }

  @MessagePattern(GeoRpcPatterns.GeofenceZoneAt)
  zoneAt(
    @Payload(new ZodPipe(geoGeofenceZoneAtRequestSchema, 'query'))
    request: GeoGeofenceZoneAtRequest,
  ): Promise<GeoGeofenceZoneAtReply> {
    return this.geofences.zoneAt(request);
  }

  @MessagePattern(GeoRpcPatterns.GeofenceList)
  list(
    @Payload(new ZodPipe(geoGeofenceListRequestSchema, 'query')) request: GeoGeofenceListRequest,
  ): Promise<GeofenceListResponse> {
    return this.geofences.list(request);
  }

  @MessagePattern(GeoRpcPatterns.GeofenceUpdate)
  update(
    @Payload(new ZodPipe(geoGeofenceUpdateRequestSchema)) request: GeoGeofenceUpdateRequest,
  ): Promise<Geofence> {
    return this.geofences.update(request);
  }

  @MessagePattern(GeoRpcPatterns.GeofenceDelete)
  delete(
    @Payload(new ZodPipe(geoGeofenceDeleteRequestSchema, 'params'))
    request: GeoGeofenceDeleteRequest,
  ): Promise<{ deleted: true }> {
    return this.geofences.delete(request.agencyId, request.id);
  }
}
