import { z } from 'zod';
import {
  auditQueryParamsSchema,
  auditQueryResponseSchema,
  auditVerifyParamsSchema,
  auditVerifyResponseSchema,
} from '../http/audit.schema';
import { devLoginRequestSchema, jwksSchema, tokenResponseSchema } from '../http/auth.schema';
import { createIncidentRequestSchema, incidentSchema } from '../http/incidents.schema';
import { nearestUnitsQuerySchema, nearestUnitsResponseSchema } from '../http/nearest.schema';
import { incidentNotificationsResponseSchema } from '../http/notifications.schema';
import {
  positionsBatchRequestSchema,
  positionsInBboxQuerySchema,
  positionsInBboxResponseSchema,
  positionsIngestResultSchema,
  unitTrackQuerySchema,
  unitTrackResponseSchema,
} from '../http/positions.schema';
import {
  createGeofenceRequestSchema,
  geofenceListResponseSchema,
  geofenceSchema,
  listGeofencesQuerySchema,
  updateGeofenceRequestSchema,
} from '../http/geofences.schema';
import { defineOperation } from './define-operation';

export const idParamsSchema = z.strictObject({ id: z.uuid() });
export const unitIdParamsSchema = z.strictObject({ unitId: z.string().min(1).max(100) });

/** Who reads positions, tracks and geofences; who changes geofences. */
const GEO_READERS = ['dispatcher', 'supervisor', 'admin'] as const;
const GEOFENCE_WRITERS = ['supervisor', 'admin'] as const;

/**
 * Every REST operation of the api-gateway. Add an operation here first; the controller route uses
 * it through `@HttpOperation(operations.x)` (api-gateway), the OpenAPI document and the client are
 * generated from this object, and tests fail when a route and this registry disagree.
 */
export const operations = {
  devLogin: defineOperation({
    operationId: 'devLogin',
    method: 'POST',
    path: '/v1/auth/dev-login',
    summary:
      'Development login: a signed access token for any user (only when AUTH_DEV_LOGIN=true)',
    tag: 'auth',
    roles: 'public',
    body: devLoginRequestSchema,
    success: { status: 200, schema: tokenResponseSchema, description: 'Access token' },
    errors: [404, 422],
  }),
  getJwks: defineOperation({
    operationId: 'getJwks',
    method: 'GET',
    path: '/.well-known/jwks.json',
    summary: 'Public keys that verify access tokens',
    tag: 'auth',
    roles: 'public',
    success: { status: 200, schema: jwksSchema, description: 'JSON Web Key Set' },
  }),
  createIncident: defineOperation({
    operationId: 'createIncident',
    method: 'POST',
    path: '/v1/incidents',
    summary: 'Create an incident',
    tag: 'incidents',
    roles: ['dispatcher', 'supervisor', 'admin'],
    body: createIncidentRequestSchema,
    success: { status: 201, schema: incidentSchema, description: 'The new incident' },
    errors: [409, 422],
    idempotent: true,
  }),
  getIncident: defineOperation({
    operationId: 'getIncident',
    method: 'GET',
    path: '/v1/incidents/{id}',
    summary: 'One incident of the caller’s agency',
    tag: 'incidents',
    roles: ['dispatcher', 'supervisor', 'admin', 'auditor', 'officer'],
    params: idParamsSchema,
    success: { status: 200, schema: incidentSchema, description: 'The incident' },
    errors: [404, 422],
  }),
  nearestUnits: defineOperation({
    operationId: 'nearestUnits',
    method: 'GET',
    path: '/v1/units/nearest',
    summary: 'Closest available units to a point',
    tag: 'units',
    roles: ['dispatcher', 'supervisor', 'admin'],
    query: nearestUnitsQuerySchema,
    success: { status: 200, schema: nearestUnitsResponseSchema, description: 'Units by distance' },
    errors: [422, 504],
  }),
  reportPositions: defineOperation({
    operationId: 'reportPositions',
    method: 'POST',
    path: '/v1/positions',
    summary: 'A batch of position fixes from a tracker without a socket (up to 500)',
    tag: 'positions',
    roles: ['officer', 'service', 'admin'],
    body: positionsBatchRequestSchema,
    success: {
      status: 200,
      schema: positionsIngestResultSchema,
      description: 'What happened to each fix',
    },
    errors: [413, 422, 504],
  }),
  listAuditEntries: defineOperation({
    operationId: 'listAuditEntries',
    method: 'GET',
    path: '/v1/audit',
    summary: 'The agency’s audit trail, newest first (itself audited)',
    tag: 'audit',
    roles: ['auditor', 'admin'],
    query: auditQueryParamsSchema,
    success: { status: 200, schema: auditQueryResponseSchema, description: 'A page of entries' },
    errors: [422, 504],
  }),
  verifyAuditChain: defineOperation({
    operationId: 'verifyAuditChain',
    method: 'GET',
    path: '/v1/audit/verify',
    summary: 'Recompute the agency’s hash chain and check checkpoint signatures',
    tag: 'audit',
    roles: ['auditor', 'admin'],
    query: auditVerifyParamsSchema,
    success: { status: 200, schema: auditVerifyResponseSchema, description: 'Verification result' },
    errors: [422, 504],
  }),
  listIncidentNotifications: defineOperation({
    operationId: 'listIncidentNotifications',
    method: 'GET',
    path: '/v1/incidents/{id}/notifications',
    summary: 'Commands sent for an incident with their delivered/seen/accepted stages',
    tag: 'incidents',
    roles: ['dispatcher', 'supervisor', 'admin'],
    params: idParamsSchema,
    success: {
      status: 200,
      schema: incidentNotificationsResponseSchema,
      description: 'Commands, acknowledgement stages, escalations and deliveries',
    },
    errors: [422, 504],
  }),
  positionsInBbox: defineOperation({
    operationId: 'positionsInBbox',
    method: 'GET',
    path: '/v1/positions',
    summary: 'Latest position of every unit of the agency inside a bbox',
    tag: 'positions',
    roles: GEO_READERS,
    query: positionsInBboxQuerySchema,
    success: {
      status: 200,
      schema: positionsInBboxResponseSchema,
      description: 'Units in the bbox',
    },
    errors: [422, 504],
  }),
  unitTrack: defineOperation({
    operationId: 'unitTrack',
    method: 'GET',
    path: '/v1/units/{unitId}/track',
    summary: 'A unit’s fixes between two device times (at most 7 days)',
    tag: 'units',
    roles: GEO_READERS,
    params: unitIdParamsSchema,
    query: unitTrackQuerySchema,
    success: {
      status: 200,
      schema: unitTrackResponseSchema,
      description: 'Fixes in device-time order',
    },
    errors: [422, 504],
  }),
  createGeofence: defineOperation({
    operationId: 'createGeofence',
    method: 'POST',
    path: '/v1/geofences',
    summary:
      'Create a geofence (GeoJSON Polygon or MultiPolygon; invalid geometry → 422 with the reason)',
    tag: 'geofences',
    roles: GEOFENCE_WRITERS,
    body: createGeofenceRequestSchema,
    success: { status: 201, schema: geofenceSchema, description: 'The new geofence' },
    errors: [422, 504],
  }),
  listGeofences: defineOperation({
    operationId: 'listGeofences',
    method: 'GET',
    path: '/v1/geofences',
    summary: 'The agency’s geofences, one page at a time',
    tag: 'geofences',
    roles: GEO_READERS,
    query: listGeofencesQuerySchema,
    success: {
      status: 200,
      schema: geofenceListResponseSchema,
      description: 'A page of geofences',
    },
    errors: [400, 422, 504],
  }),
  getGeofence: defineOperation({
    operationId: 'getGeofence',
    method: 'GET',
    path: '/v1/geofences/{id}',
    summary: 'One geofence of the caller’s agency',
    tag: 'geofences',
    roles: GEO_READERS,
    params: idParamsSchema,
    success: { status: 200, schema: geofenceSchema, description: 'The geofence' },
    errors: [404, 422, 504],
  }),
  updateGeofence: defineOperation({
    operationId: 'updateGeofence',
    method: 'PATCH',
    path: '/v1/geofences/{id}',
    summary: 'Change a geofence (`expectedVersion` for optimistic concurrency)',
    tag: 'geofences',
    roles: GEOFENCE_WRITERS,
    params: idParamsSchema,
    body: updateGeofenceRequestSchema,
    success: { status: 200, schema: geofenceSchema, description: 'The updated geofence' },
    errors: [404, 409, 422, 504],
  }),
  deleteGeofence: defineOperation({
    operationId: 'deleteGeofence',
    method: 'DELETE',
    path: '/v1/geofences/{id}',
    summary: 'Delete a geofence',
    tag: 'geofences',
    roles: GEOFENCE_WRITERS,
    params: idParamsSchema,
    success: { status: 204, schema: undefined, description: 'Deleted' },
    errors: [404, 422, 504],
  }),
} as const;

export type Operations = typeof operations;
export type OperationId = keyof Operations;
