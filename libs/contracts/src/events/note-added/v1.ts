import { z } from 'zod';
import { text, timestamp } from '../../primitives/primitives.schema';

/** `note.added` v1 on `gad:dispatch:events` (producer: api-gateway): an incident or unit note. */
export const noteAddedV1 = z.object({
  noteId: z.uuid(),
  incidentId: z.uuid().optional(),
  unitId: text().max(100).optional(),
  text: text().max(4000),
  author: text(),
  corrects: z.uuid().optional(),
  createdAt: timestamp(),
});
export type NoteAddedV1 = z.infer<typeof noteAddedV1>;
