import { z } from 'zod';
import { text } from '../primitives/primitives.schema';

/** Who caused a message: a user, a service, a device or the system itself. */
export const actorSchema = z.object({
  kind: z.enum(['user', 'service', 'device', 'system']),
  id: text().min(1).max(200),
  roles: z.array(text()).optional(),
});
export type Actor = z.infer<typeof actorSchema>;
