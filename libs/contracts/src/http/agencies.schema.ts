import { z } from 'zod';

/** Agency ids are short stable slugs (`policia-local-valencia`); every row carries one. */
export const agencyIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,99}$/, 'lowercase slug: a-z, 0-9, dash, underscore');

/** An agency (tenant). */
export const agencySchema = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.iso.datetime({ offset: true }),
  updatedAt: z.iso.datetime({ offset: true }),
});
export type Agency = z.infer<typeof agencySchema>;

/** `PATCH /v1/agency` (admin). */
export const updateAgencyRequestSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
});
export type UpdateAgencyRequest = z.infer<typeof updateAgencyRequestSchema>;
