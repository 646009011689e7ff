import { z } from 'zod';
import { text, timestamp } from '../primitives/primitives.schema';

/**
 * `POST /v1/incidents/{id}/notes` and `POST /v1/units/{id}/notes`: an append-only, attributed note.
 * A correction is a new note naming the one it corrects (`corrects`); nothing is edited.
 */
export const createNoteRequestSchema = z.strictObject({
  text: text().trim().min(1).max(4000),
  /** The note this one corrects (same incident or unit). */
  corrects: z.uuid().optional(),
});
export type CreateNoteRequest = z.infer<typeof createNoteRequestSchema>;

/** An incident note may also name a unit of the incident (`unitId`). */
export const createIncidentNoteRequestSchema = createNoteRequestSchema.extend({
  unitId: text().trim().min(1).max(100).optional(),
});
export type CreateIncidentNoteRequest = z.infer<typeof createIncidentNoteRequestSchema>;

export const noteSchema = z.object({
  id: z.uuid(),
  agencyId: text(),
  incidentId: z.uuid().nullable(),
  unitId: text().nullable(),
  text: text(),
  /** Who wrote it (user id). */
  author: text(),
  corrects: z.uuid().nullable(),
  /** Ids of later notes that correct this one. */
  correctedBy: z.array(z.uuid()),
  createdAt: timestamp(),
});
export type Note = z.infer<typeof noteSchema>;

export const noteListSchema = z.object({ items: z.array(noteSchema) });
export type NoteList = z.infer<typeof noteListSchema>;
