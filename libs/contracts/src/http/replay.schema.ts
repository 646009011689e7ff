import { z } from 'zod';
import { num, queryNumber, text, timestamp } from '../primitives/primitives.schema';
import { pointSchema } from '../geo/geojson.schema';
import { assignmentStatusSchema } from '../events/assignment-created/v1';
import { incidentPrioritySchema, incidentStatusSchema } from './incidents.schema';

/** Query of `GET /v1/incidents/{id}/replay`. */
export const incidentReplayQuerySchema = z.strictObject({ at: timestamp() });
export type IncidentReplayQuery = z.infer<typeof incidentReplayQuerySchema>;

/** Query of `GET /v1/incidents/{id}/replay/frames`: one frame every `stepS` in `[from, to]`. */
export const incidentReplayFramesQuerySchema = z
  .strictObject({
    from: timestamp(),
    to: timestamp(),
    stepS: queryNumber(num().int().min(1).max(3_600).default(10)),
  })
  .refine((value) => Date.parse(value.from) <= Date.parse(value.to), {
    message: 'from must not be after to',
    path: ['to'],
  })
  .refine((value) => Date.parse(value.to) - Date.parse(value.from) <= 7 * 86_400_000, {
    message: 'at most 7 days',
    path: ['to'],
  });
export type IncidentReplayFramesQuery = z.infer<typeof incidentReplayFramesQuerySchema>;

export const replayUnitSchema = z.object({
  unitId: text(),
  callSign: text().nullable(),
  assignmentId: z.uuid(),
  /** The unit's assignment status at that moment. */
  status: assignmentStatusSchema,
  /** The unit's last known fix at or before that moment (within 15 minutes), else `null`. */
  position: pointSchema.nullable(),
  positionAt: timestamp().nullable(),
});
export type ReplayUnit = z.infer<typeof replayUnitSchema>;

/**
 * The incident as it was at `at`, rebuilt from its timeline and the units' position history; the
 * `/replay/frames` route streams one per line (NDJSON).
 */
export const incidentReplayFrameSchema = z.object({
  at: timestamp(),
  /** `false` before the incident existed (then `incident` is `null`). */
  existed: z.boolean(),
  incident: z
    .object({
      id: z.uuid(),
      type: text(),
      priority: incidentPrioritySchema,
      status: incidentStatusSchema,
      location: pointSchema,
      address: text().nullable(),
    })
    .nullable(),
  units: z.array(replayUnitSchema),
  /** How many timeline entries happened at or before `at`. */
  timelineEntries: num().int(),
});
export type IncidentReplayFrame = z.infer<typeof incidentReplayFrameSchema>;
