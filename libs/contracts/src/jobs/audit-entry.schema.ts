import { z } from 'zod';
import { actorSchema } from '../envelope/envelope.schema';
import { UUID_V7_PATTERN } from '../envelope/uuidv7';

/** Outcome of an audited action (NIST AU-3 "outcome"). */
export const auditOutcomeSchema = z.enum(['success', 'denied', 'failed']);
export type AuditOutcome = z.infer<typeof auditOutcomeSchema>;

/**
 * Actions the platform audits. Callers may use other dotted names (`<noun>.<verb>`), but the covered
 * events below use these exact spellings so queries and reports can rely on them.
 */
export const AuditActions = {
  LoginSucceeded: 'auth.login',
  LoginFailed: 'auth.login_failed',
  Logout: 'auth.logout',
  AccountLocked: 'auth.lockout',
  AccountUnlocked: 'auth.unlock',
  TokenRefreshed: 'auth.token_refresh',
  TokenReuseDetected: 'auth.token_reuse_detected',
  PasswordChanged: 'user.password_change',
  RolesChanged: 'user.role_change',
  Created: 'object.create',
  Updated: 'object.update',
  Deleted: 'object.delete',
  PermissionDenied: 'access.denied',
  DispatchRecommended: 'dispatch.recommendation',
  DispatchDecided: 'dispatch.decision',
  CommandDelivered: 'command.delivery',
  CommandAcknowledged: 'command.ack',
  AuditQueried: 'audit.query',
  AuditVerified: 'audit.verify',
} as const;
export type AuditAction = (typeof AuditActions)[keyof typeof AuditActions];

const isoUtcMillis = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, 'must be UTC ISO-8601 with milliseconds');

/**
 * One audit entry: the data of a job on the BullMQ queue `audit` (job id = `id`) and, unchanged, the
 * content hashed into the agency's chain by audit-log-worker. Covers NIST SP 800-53 AU-3: who
 * (`actor`, `agencyId`, `service`), what (`action`, `object`, `changes`), when (`occurredAt`), where
 * (`service`, `source`), outcome (`outcome`, `reason`) and the trace id.
 */
export const auditEntrySchema = z.object({
  id: z.string().regex(UUID_V7_PATTERN, 'must be a UUIDv7'),
  occurredAt: isoUtcMillis,
  agencyId: z.string().min(1).max(100),
  /** Who: user/service/device and the roles they held at the time. */
  actor: actorSchema,
  /** The service that recorded the entry. */
  service: z.string().min(1).max(100),
  action: z.string().min(1).max(100),
  object: z
    .object({ type: z.string().min(1).max(100), id: z.string().min(1).max(200).optional() })
    .optional(),
  outcome: auditOutcomeSchema,
  /** Why it was denied or failed (or any note on success). */
  reason: z.string().max(2000).optional(),
  /** Before/after images of a change, secrets already redacted by the recorder. */
  changes: z.object({ before: z.unknown().optional(), after: z.unknown().optional() }).optional(),
  /** Where from: client IP and user agent (HTTP/socket). */
  source: z
    .object({ ip: z.string().max(100).optional(), userAgent: z.string().max(500).optional() })
    .optional(),
  /** W3C trace id (32 hex). */
  traceId: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .optional(),
  /** Anything else worth keeping (redacted like `changes`). */
  details: z.record(z.string(), z.unknown()).optional(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

/** BullMQ job name of audit entries on the `audit` queue. */
export const AUDIT_ENTRY_JOB = 'audit.entry';
