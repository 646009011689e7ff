import { z } from 'zod';
import { incidentCreatedV1 } from './incident-created/v1';
import { auditCheckpointV1 } from './audit-checkpoint/v1';
import { positionsReportedV1 } from './positions-reported/v1';
import { unitMovedV1 } from './unit-moved/v1';
import { unitStatusChangedV1 } from './unit-status-changed/v1';
import { unitUpdatedV1 } from './unit-updated/v1';
import { geofenceEnteredV1 } from './geofence-entered/v1';
import { geofenceExitedV1 } from './geofence-exited/v1';
import { geofenceDwellV1 } from './geofence-dwell/v1';

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
} as const satisfies Record<string, EventType>;

export type EventDataResult = { success: true; data: unknown } | { success: false; error: string };

/** Validates `data` against the schema registered for `type`@`version`. */
export function parseEventData(type: string, version: number, data: unknown): EventDataResult {
  const versions = (EventSchemas as Record<string, Record<number, z.ZodType>>)[type];
  const schema = versions?.[version];
  if (!schema) {
    return { success: false, error: `unknown event ${type}@v${version}` };
  }
  const result = schema.safeParse(data);
  return result.success
    ? { success: true, data: result.data }
    : { success: false, error: z.prettifyError(result.error) };
}
