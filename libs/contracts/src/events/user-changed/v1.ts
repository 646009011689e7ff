import { z } from 'zod';
import { text, timestamp } from '../../primitives/primitives.schema';
import { roleSchema } from '../../http/auth.schema';
import { localeSchema, userStatusSchema } from '../../http/users.schema';

/**
 * `user.changed` v1 on `gad:dispatch:events` (producer: api-gateway): a user was created, changed
 * (profile, roles, status) or deleted. Carries the user's whole state as notification-service needs
 * it, so a consumer keeps the newest (`changedAt`) and needs no call back; notification-service
 * keeps its recipients (`notify.recipients`) from it. No address: the login e-mail is not a
 * verified contact channel.
 */
export const userChangedV1 = z.object({
  userId: text().min(1).max(100),
  roles: z.array(roleSchema).max(10),
  locale: localeSchema,
  /** `deleted`: the user is gone (nobody pages them again). */
  status: z.union([userStatusSchema, z.literal('deleted')]),
  changedAt: timestamp(),
});
export type UserChangedV1 = z.infer<typeof userChangedV1>;
