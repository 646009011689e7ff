import { z } from 'zod';
import { anyText, text } from '../primitives/primitives.schema';
import { actorSchema } from '../envelope/actor.schema';
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
  // Reads of sensitive resources, in summary form: who, which resource, when (docs/adr/0021).
  TrackRead: 'track.read',
  UserRead: 'user.read',
  PositionsReported: 'position.ingest',
  // ws-gateway: connections, refusals, subscriptions and revocation disconnects.
  SocketConnected: 'socket.connect',
  SocketRefused: 'socket.connect_refused',
  SocketDisconnected: 'socket.disconnect',
  SocketSubscribed: 'socket.subscribe',
  SocketRevoked: 'socket.revoked_disconnect',
  // geo-service: a unit entering or leaving a geofence.
  GeofenceTransition: 'geofence.transition',
} as const;
export type AuditAction = (typeof AuditActions)[keyof typeof AuditActions];

const isoUtcMillis = text().regex(
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/,
  'must be UTC ISO-8601 with milliseconds',
);

/**
 * Free-text members (`object`, `reason`, `source`, `details`, `changes`) take {@link anyText}: an
 * entry is never refused for what it holds (audit-log-worker stores such strings escaped).
 *
 * One audit entry: carried by a job on the BullMQ queue `audit` ({@link AUDIT_ENTRIES_JOB}) and, unchanged, the
 * content hashed into the agency's chain by audit-log-worker. Covers NIST SP 800-53 AU-3: who
 * (`actor`, `agencyId`, `service`), what (`action`, `object`, `changes`), when (`occurredAt`), where
 * (`service`, `source`), outcome (`outcome`, `reason`) and the trace id.
 */
export const auditEntrySchema = z.object({
  id: text().regex(UUID_V7_PATTERN, 'must be a UUIDv7'),
  occurredAt: isoUtcMillis,
  agencyId: text().min(1).max(100),
  /** Who: user/service/device and the roles they held at the time. */
  actor: actorSchema,
  /** The service that recorded the entry. */
  service: text().min(1).max(100),
  action: text().min(1).max(100),
  object: z
    .object({ type: anyText().min(1).max(100), id: anyText().min(1).max(200).optional() })
    .optional(),
  outcome: auditOutcomeSchema,
  /** Why it was denied or failed (or any note on success). */
  reason: anyText().max(2000).optional(),
  /** Before/after images of a change, secrets already redacted by the recorder. */
  changes: z.object({ before: z.unknown().optional(), after: z.unknown().optional() }).optional(),
  /** Where from: client IP and user agent (HTTP/socket). */
  source: z
    .object({ ip: anyText().max(100).optional(), userAgent: anyText().max(500).optional() })
    .optional(),
  /** W3C trace id (32 hex). */
  traceId: text()
    .regex(/^[0-9a-f]{32}$/)
    .optional(),
  /** Anything else worth keeping (redacted like `changes`). */
  details: z.record(anyText(), z.unknown()).optional(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

/**
 * BullMQ job name of a job holding one audit entry as its data (job id = entry id). Recorders now
 * send {@link AUDIT_ENTRIES_JOB}; the worker still accepts this name, so jobs queued by an older
 * recorder during a rolling upgrade are stored.
 */
export const AUDIT_ENTRY_JOB = 'audit.entry';

/**
 * BullMQ job name of a job holding consecutive audit entries of one recorder
 * (`{ entries: AuditEntry[] }`, docs/adr/0007-audit-jobs-carry-entries.md). Its id is
 * `<first entry id>` for one entry and `<first entry id>_<last entry id>` for more.
 */
export const AUDIT_ENTRIES_JOB = 'audit.entries';

/** Most entries in one {@link AUDIT_ENTRIES_JOB}. */
export const AUDIT_ENTRIES_PER_JOB_MAX = 500;

/**
 * Data of an {@link AUDIT_ENTRIES_JOB}. The entries are validated one by one by the worker (a bad
 * entry fails alone), so the schema here only fixes the shape.
 */
export const auditEntriesJobSchema = z.object({
  entries: z.array(z.unknown()).min(1).max(AUDIT_ENTRIES_PER_JOB_MAX),
});
export type AuditEntriesJob = { entries: AuditEntry[] };

/** Job id of a job holding `entries` (consecutive entries of one recorder, oldest first). */
export const auditJobId = (entries: ReadonlyArray<Pick<AuditEntry, 'id'>>): string => {
  const first = entries[0]?.id;
  const last = entries[entries.length - 1]?.id;
  if (first === undefined || last === undefined) {
    throw new Error('an audit job holds at least one entry');
  }
  return entries.length === 1 ? first : `${first}_${last}`;
};
