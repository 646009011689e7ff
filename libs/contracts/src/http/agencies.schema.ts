import { z } from 'zod';
import { text, timestamp } from '../primitives/primitives.schema';

/** Agency ids are short stable slugs (`policia-local-valencia`); every row carries one. */
export const agencyIdSchema = text().regex(
  /^[a-z0-9][a-z0-9_-]{0,99}$/,
  'lowercase slug: a-z, 0-9, dash, underscore',
);

/** An agency (tenant). */
export const agencySchema = z.object({
  id: text(),
  name: text(),
  createdAt: timestamp(),
  updatedAt: timestamp(),
});
export type Agency = z.infer<typeof agencySchema>;

/** `PATCH /v1/agency` (admin). */
export const updateAgencyRequestSchema = z.strictObject({
  name: text().trim().min(1).max(200),
});
export type UpdateAgencyRequest = z.infer<typeof updateAgencyRequestSchema>;
