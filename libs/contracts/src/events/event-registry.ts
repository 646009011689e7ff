import { z } from 'zod';
import { incidentCreatedV1 } from './incident-created/v1';
import { auditCheckpointV1 } from './audit-checkpoint/v1';
import { isPlainPositionsReportedV1, positionsReportedV1 } from './positions-reported/v1';
import { unitMovedV1 } from './unit-moved/v1';
import { unitStatusChangedV1 } from './unit-status-changed/v1';
import { unitUpdatedV1 } from './unit-updated/v1';
import { geofenceEnteredV1 } from './geofence-entered/v1';
import { geofenceExitedV1 } from './geofence-exited/v1';
import { geofenceDwellV1 } from './geofence-dwell/v1';
import { assignmentCreatedV1 } from './assignment-created/v1';
import { assignmentUpdatedV1 } from './assignment-updated/v1';
import { assignmentUnacknowledgedV1 } from './assignment-unacknowledged/v1';
import { commandIssuedV1 } from './command-issued/v1';
import { commandAcknowledgedV1 } from './command-acknowledged/v1';
import { userSessionsRevokedV1 } from './user-sessions-revoked/v1';
import { incidentUpdatedV1 } from './incident-updated/v1';
import { incidentStatusChangedV1 } from './incident-status-changed/v1';
import { agencySettingsChangedV1 } from './agency-settings-changed/v1';
import { userChangedV1 } from './user-changed/v1';
import { callReceivedV1 } from './call-received/v1';
import { callLinkedV1 } from './call-linked/v1';
import { noteAddedV1 } from './note-added/v1';
import { incidentsLinkedV1 } from './incidents-linked/v1';

/**
 * Every event type and version that travels on a stream, with its `data` schema. Consumers validate
 * an envelope's `data` with {@link parseEventData} before acting on it; unknown types are rejected.
 */
export const EventSchemas = {
  'incident.created': { 1: incidentCreatedV1 },
  'audit.checkpoint': { 1: auditCheckpointV1 },
  'positions.reported': { 1: positionsReportedV1 },
  'unit.moved': { 1: unitMovedV1 },
  'unit.status_changed': { 1: unitStatusChangedV1 },
  'unit.updated': { 1: unitUpdatedV1 },
  'geofence.entered': { 1: geofenceEnteredV1 },
  'geofence.exited': { 1: geofenceExitedV1 },
  'geofence.dwell': { 1: geofenceDwellV1 },
  'assignment.created': { 1: assignmentCreatedV1 },
  'assignment.updated': { 1: assignmentUpdatedV1 },
  'assignment.unacknowledged': { 1: assignmentUnacknowledgedV1 },
  'command.issued': { 1: commandIssuedV1 },
  'command.acknowledged': { 1: commandAcknowledgedV1 },
  'user.sessions_revoked': { 1: userSessionsRevokedV1 },
  'incident.updated': { 1: incidentUpdatedV1 },
  'incident.status_changed': { 1: incidentStatusChangedV1 },
  'agency.settings_changed': { 1: agencySettingsChangedV1 },
  'user.changed': { 1: userChangedV1 },
  'call.received': { 1: callReceivedV1 },
  'call.linked': { 1: callLinkedV1 },
  'note.added': { 1: noteAddedV1 },
  'incidents.linked': { 1: incidentsLinkedV1 },
} as const satisfies Record<string, Record<number, z.ZodType>>;

export type EventType = keyof typeof EventSchemas;
export type EventData<
  T extends EventType,
  V extends keyof (typeof EventSchemas)[T] = 1,
> = (typeof EventSchemas)[T][V] extends z.ZodType ? z.infer<(typeof EventSchemas)[T][V]> : never;

export const EventTypes = {
  IncidentCreated: 'incident.created',
  AuditCheckpoint: 'audit.checkpoint',
  PositionsReported: 'positions.reported',
  UnitMoved: 'unit.moved',
  UnitStatusChanged: 'unit.status_changed',
  UnitUpdated: 'unit.updated',
  GeofenceEntered: 'geofence.entered',
  GeofenceExited: 'geofence.exited',
  GeofenceDwell: 'geofence.dwell',
  AssignmentCreated: 'assignment.created',
  AssignmentUpdated: 'assignment.updated',
  AssignmentUnacknowledged: 'assignment.unacknowledged',
  CommandIssued: 'command.issued',
  CommandAcknowledged: 'command.acknowledged',
  UserSessionsRevoked: 'user.sessions_revoked',
  IncidentUpdated: 'incident.updated',
  IncidentStatusChanged: 'incident.status_changed',
  AgencySettingsChanged: 'agency.settings_changed',
  UserChanged: 'user.changed',
  CallReceived: 'call.received',
  CallLinked: 'call.linked',
  NoteAdded: 'note.added',
  IncidentsLinked: 'incidents.linked',
} as const satisfies Record<string, EventType>;

export type EventDataResult = { success: true; data: unknown } | { success: false; error: string };

/**
 * One-pass checks for high-volume event data: `true` only when the registered schema accepts the
 * data and would return it unchanged, so it is handed on without a zod parse (docs/adr/0037);
 * `false` leaves the decision, and the error message, to the schema.
 */
const PlainDataChecks: Readonly<Record<string, Record<number, (data: unknown) => boolean>>> = {
  [EventTypes.PositionsReported]: { 1: isPlainPositionsReportedV1 },
};

/**
 * Validates `data` against the schema registered for `type`@`version`. Data that a one-pass check
 * of its type accepts is returned as it is (the schema's output would equal it).
 */
export function parseEventData(type: string, version: number, data: unknown): EventDataResult {
  const versions = (EventSchemas as Record<string, Record<number, z.ZodType>>)[type];
  const schema = versions?.[version];
  if (!schema) {
    return { success: false, error: `unknown event ${type}@v${version}` };
  }
  if (PlainDataChecks[type]?.[version]?.(data)) {
    return { success: true, data };
  }
  const result = schema.safeParse(data);
  return result.success
    ? { success: true, data: result.data }
    : { success: false, error: z.prettifyError(result.error) };
}
