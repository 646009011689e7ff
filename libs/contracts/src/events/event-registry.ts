import { z } from 'zod';
import { incidentCreatedV1 } from './incident-created/v1';
import { auditCheckpointV1 } from './audit-checkpoint/v1';

/**
 * Every event type and version that travels on a stream, with its `data` schema. Consumers validate
 * an envelope's `data` with {@link parseEventData} before acting on it; unknown types are rejected.
 */
export const EventSchemas = {
  'incident.created': { 1: incidentCreatedV1 },
  'audit.checkpoint': { 1: auditCheckpointV1 },
} as const satisfies Record<string, Record<number, z.ZodType>>;

export type EventType = keyof typeof EventSchemas;
export type EventData<T extends EventType, V extends keyof (typeof EventSchemas)[T] = 1> =
  (typeof EventSchemas)[T][V] extends z.ZodType ? z.infer<(typeof EventSchemas)[T][V]> : never;

export const EventTypes = {
  IncidentCreated: 'incident.created',
  AuditCheckpoint: 'audit.checkpoint',
} as const satisfies Record<string, EventType>;

export type EventDataResult =
  | { success: true; data: unknown }
  | { success: false; error: string };

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
