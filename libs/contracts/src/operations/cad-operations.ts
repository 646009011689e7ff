import { z } from 'zod';
import { text } from '../primitives/primitives.schema';
import {
  callListSchema,
  callSchema,
  callWithIncidentSchema,
  createCallRequestSchema,
  createIncidentFromCallRequestSchema,
  linkCallRequestSchema,
  listCallsQuerySchema,
} from '../http/calls.schema';
import {
  createIncidentTypeRequestSchema,
  incidentTypeListSchema,
  incidentTypeParamsSchema,
  incidentTypeSchema,
  updateIncidentTypeRequestSchema,
} from '../http/incident-types.schema';
import {
  dispatchPlanRequestSchema,
  dispatchPlanResultSchema,
  planProposalSchema,
} from '../http/dispatch-plans.schema';
import {
  createIncidentNoteRequestSchema,
  createNoteRequestSchema,
  noteListSchema,
  noteSchema,
} from '../http/incident-notes.schema';
import {
  incidentLinksSchema,
  mergeIncidentRequestSchema,
  splitIncidentRequestSchema,
  splitIncidentResultSchema,
} from '../http/incident-links.schema';
import { incidentSchema } from '../http/incidents.schema';
import { defineOperation } from './define-operation';

const idParams = z.strictObject({ id: z.uuid() });
const unitIdParams = z.strictObject({ id: text().min(1).max(100) });

/** Who takes calls and links them (call takers, and dispatchers who take calls themselves). */
const CALL_TAKERS = ['call_taker', 'dispatcher', 'supervisor', 'admin'] as const;
const CALL_READERS = [...CALL_TAKERS, 'auditor'] as const;
/** Who reads the incident type catalogue. */
const TYPE_READERS = [
  'call_taker',
  'dispatcher',
  'supervisor',
  'admin',
  'auditor',
  'officer',
] as const;
const TYPE_WRITERS = ['supervisor', 'admin'] as const;
const DISPATCHERS = ['dispatcher', 'supervisor', 'admin'] as const;
const NOTE_WRITERS = ['call_taker', 'dispatcher', 'supervisor', 'admin', 'officer'] as const;
const NOTE_READERS = [...NOTE_WRITERS, 'auditor'] as const;

/**
 * Call intake, incident types and response plans, dispatch plans, notes and linked incidents
 * (issue #23, docs/adr/0026-calls-types-plans-notes-dispositions.md).
 */
export const cadOperations = {
  createCall: defineOperation({
    operationId: 'createCall',
    method: 'POST',
    path: '/v1/calls',
    summary:
      'Take a call (caller, call-back number, location, channel) before or without an incident; ' +
      'flagged as a possible duplicate when an open incident of its type is near in space and time',
    tag: 'calls',
    roles: CALL_TAKERS,
    body: createCallRequestSchema,
    success: { status: 201, schema: callSchema, description: 'The call as recorded' },
    errors: [422],
    idempotent: true,
  }),
  listCalls: defineOperation({
    operationId: 'listCalls',
    method: 'GET',
    path: '/v1/calls',
    summary: 'Calls of the agency, newest first (unlinked ones, or those of one incident)',
    tag: 'calls',
    roles: CALL_READERS,
    query: listCallsQuerySchema,
    success: { status: 200, schema: callListSchema, description: 'Calls' },
    errors: [422],
  }),
  getCall: defineOperation({
    operationId: 'getCall',
    method: 'GET',
    path: '/v1/calls/{id}',
    summary: 'One call',
    tag: 'calls',
    roles: CALL_READERS,
    params: idParams,
    success: { status: 200, schema: callSchema, description: 'The call' },
    errors: [404, 422],
  }),
  linkCall: defineOperation({
    operationId: 'linkCall',
    method: 'POST',
    path: '/v1/calls/{id}/link',
    summary: 'Link an unlinked call to an open incident (several calls may share one incident)',
    tag: 'calls',
    roles: CALL_TAKERS,
    params: idParams,
    body: linkCallRequestSchema,
    success: { status: 200, schema: callSchema, description: 'The linked call' },
    errors: [404, 409, 422],
  }),
  createIncidentFromCall: defineOperation({
    operationId: 'createIncidentFromCall',
    method: 'POST',
    path: '/v1/calls/{id}/incident',
    summary:
      'Create an incident from an unlinked call (its point, location text and type) and link them',
    tag: 'calls',
    roles: CALL_TAKERS,
    params: idParams,
    body: createIncidentFromCallRequestSchema,
    success: { status: 201, schema: callWithIncidentSchema, description: 'Call and incident' },
    errors: [404, 409, 422],
  }),
  listIncidentTypes: defineOperation({
    operationId: 'listIncidentTypes',
    method: 'GET',
    path: '/v1/incident-types',
    summary: 'The agency’s incident type catalogue with each type’s response plan',
    tag: 'incident-types',
    roles: TYPE_READERS,
    success: { status: 200, schema: incidentTypeListSchema, description: 'Incident types' },
  }),
  createIncidentType: defineOperation({
    operationId: 'createIncidentType',
    method: 'POST',
    path: '/v1/incident-types',
    summary: 'Add an incident type: names, default priority and response plan',
    tag: 'incident-types',
    roles: TYPE_WRITERS,
    body: createIncidentTypeRequestSchema,
    success: { status: 201, schema: incidentTypeSchema, description: 'The new type' },
    errors: [409, 422],
  }),
  getIncidentType: defineOperation({
    operationId: 'getIncidentType',
    method: 'GET',
    path: '/v1/incident-types/{code}',
    summary: 'One incident type of the catalogue',
    tag: 'incident-types',
    roles: TYPE_READERS,
    params: incidentTypeParamsSchema,
    success: { status: 200, schema: incidentTypeSchema, description: 'The type' },
    errors: [404, 422],
  }),
  updateIncidentType: defineOperation({
    operationId: 'updateIncidentType',
    method: 'PATCH',
    path: '/v1/incident-types/{code}',
    summary: 'Change an incident type (`active: false` retires it)',
    tag: 'incident-types',
    roles: TYPE_WRITERS,
    params: incidentTypeParamsSchema,
    body: updateIncidentTypeRequestSchema,
    success: { status: 200, schema: incidentTypeSchema, description: 'The type' },
    errors: [404, 422],
  }),
  getIncidentPlan: defineOperation({
    operationId: 'getIncidentPlan',
    method: 'GET',
    path: '/v1/incidents/{id}/plan',
    summary:
      'The response plan of the incident’s type: per requirement the units already assigned and ' +
      'the nearest eligible available ones (no unit counted twice), and what is missing',
    tag: 'incidents',
    roles: DISPATCHERS,
    params: idParams,
    success: { status: 200, schema: planProposalSchema, description: 'The plan proposal' },
    errors: [404, 409, 422, 504],
  }),
  dispatchIncidentPlan: defineOperation({
    operationId: 'dispatchIncidentPlan',
    method: 'POST',
    path: '/v1/incidents/{id}/plan/dispatch',
    summary:
      'Dispatch the nearest eligible unit for every open requirement of the plan in one ' +
      'transaction, and report what could not be filled',
    tag: 'incidents',
    roles: DISPATCHERS,
    params: idParams,
    body: dispatchPlanRequestSchema,
    success: {
      status: 200,
      schema: dispatchPlanResultSchema,
      description: 'Assignments made and requirements left unfilled',
    },
    errors: [404, 409, 422, 504],
  }),
  addIncidentNote: defineOperation({
    operationId: 'addIncidentNote',
    method: 'POST',
    path: '/v1/incidents/{id}/notes',
    summary: 'Append an attributed note to an incident (corrections name the note they correct)',
    tag: 'incidents',
    roles: NOTE_WRITERS,
    params: idParams,
    body: createIncidentNoteRequestSchema,
    success: { status: 201, schema: noteSchema, description: 'The note' },
    errors: [404, 422],
  }),
  listIncidentNotes: defineOperation({
    operationId: 'listIncidentNotes',
    method: 'GET',
    path: '/v1/incidents/{id}/notes',
    summary: 'An incident’s notes, oldest first, each with the notes that correct it',
    tag: 'incidents',
    roles: NOTE_READERS,
    params: idParams,
    success: { status: 200, schema: noteListSchema, description: 'Notes' },
    errors: [404, 422],
  }),
  addUnitNote: defineOperation({
    operationId: 'addUnitNote',
    method: 'POST',
    path: '/v1/units/{id}/notes',
    summary: 'Append an attributed note to a unit',
    tag: 'units',
    roles: NOTE_WRITERS,
    params: unitIdParams,
    body: createNoteRequestSchema,
    success: { status: 201, schema: noteSchema, description: 'The note' },
    errors: [404, 422],
  }),
  listUnitNotes: defineOperation({
    operationId: 'listUnitNotes',
    method: 'GET',
    path: '/v1/units/{id}/notes',
    summary: 'A unit’s notes, oldest first',
    tag: 'units',
    roles: NOTE_READERS,
    params: unitIdParams,
    success: { status: 200, schema: noteListSchema, description: 'Notes' },
    errors: [404, 422],
  }),
  mergeIncident: defineOperation({
    operationId: 'mergeIncident',
    method: 'POST',
    path: '/v1/incidents/{id}/merge',
    summary:
      'Merge this duplicate into its primary: calls move, open assignments are cleared, it is ' +
      'cancelled as `duplicate`; both timelines stay',
    tag: 'incidents',
    roles: DISPATCHERS,
    params: idParams,
    body: mergeIncidentRequestSchema,
    success: { status: 200, schema: incidentSchema, description: 'The merged duplicate' },
    errors: [404, 409, 422],
  }),
  splitIncident: defineOperation({
    operationId: 'splitIncident',
    method: 'POST',
    path: '/v1/incidents/{id}/split',
    summary: 'Split calls of an incident off into a new incident',
    tag: 'incidents',
    roles: DISPATCHERS,
    params: idParams,
    body: splitIncidentRequestSchema,
    success: { status: 201, schema: splitIncidentResultSchema, description: 'The new incident' },
    errors: [404, 409, 422],
  }),
  getIncidentLinks: defineOperation({
    operationId: 'getIncidentLinks',
    method: 'GET',
    path: '/v1/incidents/{id}/links',
    summary: 'An incident’s calls and the incidents merged into it or split off it',
    tag: 'incidents',
    roles: CALL_READERS,
    params: idParams,
    success: { status: 200, schema: incidentLinksSchema, description: 'Links' },
    errors: [404, 422],
  }),
};
