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
import { positionsBatchRequestSchema, positionsIngestResultSchema } from '../http/positions.schema';
import { defineOperation } from './define-operation';

export const idParamsSchema = z.strictObject({ id: z.uuid() });

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
} as const;

export type Operations = typeof operations;
export type OperationId = keyof Operations;
