import { z } from 'zod';
import { text, timestamp } from '../../primitives/primitives.schema';

/**
 * `user.sessions_revoked` v1 on `gad:dispatch:events` (producer: api-gateway): logout, a disabled
 * user, a revoked token family or a role change. ws-gateway disconnects the user's sockets
 * (matching `sessionId` when given, else every socket of the user) within seconds.
 */
export const userSessionsRevokedV1 = z.object({
  userId: text().min(1).max(100),
  /** The session (refresh-token family) revoked; absent = all of the user's sessions. */
  sessionId: text().max(100).optional(),
  reason: z.enum(['logout', 'disabled', 'token_reuse', 'role_changed', 'locked', 'admin']),
  revokedAt: timestamp(),
});
export type UserSessionsRevokedV1 = z.infer<typeof userSessionsRevokedV1>;
