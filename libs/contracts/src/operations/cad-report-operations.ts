import { z } from 'zod';
import {
  createHazardRequestSchema,
  hazardListSchema,
  hazardSchema,
  incidentHazardsSchema,
  listHazardsQuerySchema,
  updateHazardRequestSchema,
} from '../http/hazards.schema';
import {
  incidentReplayFrameSchema,
  incidentReplayFramesQuerySchema,
  incidentReplayQuerySchema,
} from '../http/replay.schema';
import {
  incidentResponseTimesSchema,
  responseExportQuerySchema,
  responseFiguresQuerySchema,
  responseFiguresSchema,
} from '../http/response-times.schema';
import { defineOperation } from './define-operation';

const idParams = z.strictObject({ id: z.uuid() });
/** Who reads hazards (crews see them in their commands too). */
const HAZARD_READERS = ['dispatcher', 'supervisor', 'admin', 'officer'] as const;
const HAZARD_WRITERS = ['dispatcher', 'supervisor', 'admin'] as const;
/** Who reads the figures and the flight recorder. */
const REPORT_READERS = ['supervisor', 'admin', 'auditor'] as const;
const REPLAY_READERS = ['dispatcher', 'supervisor', 'admin', 'auditor'] as const;

/**
 * Premise and hazard information, response-time figures and the incident flight recorder
 * (issue #23, docs/adr/0027-response-figures-and-flight-recorder.md).
 */
export const cadReportOperations = {
  createHazard: defineOperation({
    operationId: 'createHazard',
    method: 'POST',
    path: '/v1/hazards',
    summary:
      'Add premise or hazard information at an address point or a polygon (shown with the ' +
      'nearest recommendation there and sent with the dispatch command)',
    tag: 'hazards',
    roles: HAZARD_WRITERS,
    body: createHazardRequestSchema,
    success: { status: 201, schema: hazardSchema, description: 'The hazard' },
    errors: [422],
    idempotent: true,
  }),
  listHazards: defineOperation({
    operationId: 'listHazards',
    method: 'GET',
    path: '/v1/hazards',
    summary: 'The agency’s current hazards (those that apply at `lon`,`lat` when given)',
    tag: 'hazards',
    roles: HAZARD_READERS,
    query: listHazardsQuerySchema,
    success: { status: 200, schema: hazardListSchema, description: 'Hazards, oldest first' },
    errors: [422],
  }),
  getHazard: defineOperation({
    operationId: 'getHazard',
    method: 'GET',
    path: '/v1/hazards/{id}',
    summary: 'One hazard of the agency',
    tag: 'hazards',
    roles: HAZARD_READERS,
    params: idParams,
    success: { status: 200, schema: hazardSchema, description: 'The hazard' },
    errors: [404, 422],
  }),
  updateHazard: defineOperation({
    operationId: 'updateHazard',
    method: 'PATCH',
    path: '/v1/hazards/{id}',
    summary: 'Change a hazard',
    tag: 'hazards',
    roles: HAZARD_WRITERS,
    params: idParams,
    body: updateHazardRequestSchema,
    success: { status: 200, schema: hazardSchema, description: 'The hazard' },
    errors: [404, 422],
  }),
  deleteHazard: defineOperation({
    operationId: 'deleteHazard',
    method: 'DELETE',
    path: '/v1/hazards/{id}',
    summary: 'Remove a hazard (no longer shown nor sent; kept for the record)',
    tag: 'hazards',
    roles: HAZARD_WRITERS,
    params: idParams,
    success: { status: 204, schema: undefined, description: 'Removed' },
    errors: [404, 422],
  }),
  getIncidentHazards: defineOperation({
    operationId: 'getIncidentHazards',
    method: 'GET',
    path: '/v1/incidents/{id}/hazards',
    summary: 'The hazards that apply at an incident’s location, most severe first',
    tag: 'hazards',
    roles: HAZARD_READERS,
    params: idParams,
    success: { status: 200, schema: incidentHazardsSchema, description: 'Hazards' },
    errors: [404, 422],
  }),
  getIncidentResponseTimes: defineOperation({
    operationId: 'getIncidentResponseTimes',
    method: 'GET',
    path: '/v1/incidents/{id}/response-times',
    summary:
      'An incident’s milestones (call, created, first dispatch, en route, on scene, cleared) and intervals',
    tag: 'reports',
    roles: REPLAY_READERS,
    params: idParams,
    success: { status: 200, schema: incidentResponseTimesSchema, description: 'Response times' },
    errors: [404, 422],
  }),
  getResponseFigures: defineOperation({
    operationId: 'getResponseFigures',
    method: 'GET',
    path: '/v1/reports/response-times',
    summary:
      'Response-time figures of incidents created in a range: count, median, p90 per interval and ' +
      'the share within the agency’s target, grouped by priority, type, zone and period',
    tag: 'reports',
    roles: REPORT_READERS,
    query: responseFiguresQuerySchema,
    success: { status: 200, schema: responseFiguresSchema, description: 'The figures' },
    errors: [422],
  }),
  exportResponseTimes: defineOperation({
    operationId: 'exportResponseTimes',
    method: 'GET',
    path: '/v1/reports/response-times/export',
    summary:
      'CSV (text/csv), one row per incident created in the range, streamed (any size); audited',
    tag: 'reports',
    roles: REPORT_READERS,
    query: responseExportQuerySchema,
    success: { status: 200, schema: undefined, description: 'text/csv, a header row first' },
    errors: [422],
  }),
  getIncidentReplay: defineOperation({
    operationId: 'getIncidentReplay',
    method: 'GET',
    path: '/v1/incidents/{id}/replay',
    summary:
      'Flight recorder: the incident, its assignments and its units’ statuses and positions as ' +
      'they were at `at`, rebuilt from the timeline and the position history (audited)',
    tag: 'incidents',
    roles: REPLAY_READERS,
    params: idParams,
    query: incidentReplayQuerySchema,
    success: { status: 200, schema: incidentReplayFrameSchema, description: 'The frame' },
    errors: [404, 422],
  }),
  streamIncidentReplay: defineOperation({
    operationId: 'streamIncidentReplay',
    method: 'GET',
    path: '/v1/incidents/{id}/replay/frames',
    summary:
      'Flight recorder over a range: one frame (as `getIncidentReplay` answers) every `stepS`, as ' +
      'NDJSON (application/x-ndjson), streamed; audited',
    tag: 'incidents',
    roles: REPLAY_READERS,
    params: idParams,
    query: incidentReplayFramesQuerySchema,
    success: {
      status: 200,
      schema: undefined,
      description: 'application/x-ndjson: one IncidentReplayFrame per line',
    },
    errors: [404, 422],
  }),
};
