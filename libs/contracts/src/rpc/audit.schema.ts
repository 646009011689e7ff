import { z } from 'zod';
import { actorSchema } from '../envelope/envelope.schema';
import { auditEntrySchema, auditOutcomeSchema } from '../jobs/audit-entry.schema';

/**
 * Query string of `GET /v1/audit` (auditors): every filter optional, cursor pagination. The gateway
 * adds the caller's agency and identity and forwards it as the `audit.query` RPC.
 */
export const auditQueryFiltersSchema = z.strictObject({
  actorId: z.string().min(1).max(200).optional(),
  action: z.string().min(1).max(100).optional(),
  objectType: z.string().min(1).max(100).optional(),
  objectId: z.string().min(1).max(200).optional(),
  outcome: auditOutcomeSchema.optional(),
  /** Inclusive lower bound on `occurredAt`. */
  from: z.iso.datetime({ offset: true }).optional(),
  /** Exclusive upper bound on `occurredAt`. */
  to: z.iso.datetime({ offset: true }).optional(),
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type AuditQueryFilters = z.infer<typeof auditQueryFiltersSchema>;

/** A stored entry: the recorded entry plus its place in the agency's chain. */
export const storedAuditEntrySchema = z.object({
  seq: z.number().int().min(1),
  hash: z.string(),
  prevHash: z.string(),
  recordedAt: z.iso.datetime(),
  entry: auditEntrySchema,
});
export type StoredAuditEntry = z.infer<typeof storedAuditEntrySchema>;

/** Newest first. `nextCursor` is absent on the last page. */
export const auditQueryReplySchema = z.object({
  items: z.array(storedAuditEntrySchema),
  nextCursor: z.string().optional(),
});
export type AuditQueryReply = z.infer<typeof auditQueryReplySchema>;

/** Query string of `GET /v1/audit/verify`: a sequence or time range of the caller's agency chain. */
export const auditVerifyRangeSchema = z.strictObject({
  fromSeq: z.coerce.number().int().min(1).optional(),
  toSeq: z.coerce.number().int().min(1).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});
export type AuditVerifyRange = z.infer<typeof auditVerifyRangeSchema>;

export const auditChainBreakSchema = z.object({
  seq: z.number().int(),
  entryId: z.string().optional(),
  reason: z.enum([
    'hash_mismatch',
    'prev_hash_mismatch',
    'missing_entry',
    'duplicate_entry',
    'checkpoint_signature_invalid',
    'checkpoint_mismatch',
    'checkpoint_entry_missing',
  ]),
  detail: z.string(),
});
export type AuditChainBreak = z.infer<typeof auditChainBreakSchema>;

export const auditVerifyReplySchema = z.object({
  agencyId: z.string(),
  valid: z.boolean(),
  /** Entries examined and the sequence range they span (0 when the range is empty). */
  entriesChecked: z.number().int(),
  firstSeq: z.number().int(),
  lastSeq: z.number().int(),
  /**
   * Where the recomputation started: `genesis` (sequence 1, zero hash), `purge` (just after the
   * entries retention removed, from the recorded hash) or `range` (mid-chain, trusting the first
   * entry's `prevHash`).
   */
  anchoredAt: z.enum(['genesis', 'purge', 'range']),
  checkpointsChecked: z.number().int(),
  /** Last sequence a valid signed checkpoint vouches for (0 when none). */
  lastCheckpointSeq: z.number().int(),
  /** The first broken entry, when `valid` is false. */
  firstBreak: auditChainBreakSchema.optional(),
});
export type AuditVerifyReply = z.infer<typeof auditVerifyReplySchema>;

/** Who asks: the query is itself audited with this identity. */
const auditRequesterSchema = z.object({
  actor: actorSchema,
  traceId: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .optional(),
  ip: z.string().max(100).optional(),
  userAgent: z.string().max(500).optional(),
});

/** RPC `audit.query` on `gad:rpc:audit-log-worker`: the HTTP query plus the caller's agency and identity. */
export const auditQueryRequestSchema = auditQueryFiltersSchema.extend({
  agencyId: z.string().min(1).max(100),
  requestedBy: auditRequesterSchema,
});
export type AuditQueryRequest = z.infer<typeof auditQueryRequestSchema>;

/** RPC `audit.verify` on `gad:rpc:audit-log-worker`. */
export const auditVerifyRequestSchema = auditVerifyRangeSchema.extend({
  agencyId: z.string().min(1).max(100),
  requestedBy: auditRequesterSchema,
});
export type AuditVerifyRequest = z.infer<typeof auditVerifyRequestSchema>;

export const AuditRpcPatterns = {
  Query: 'audit.query',
  Verify: 'audit.verify',
} as const;

/** Service name whose RPC stream (`rpcStreamOf`) carries the audit RPCs. */
export const AUDIT_RPC_SERVICE = 'audit-log-worker';

/** Error codes the audit RPCs reply with. */
export const AuditErrorCode = {
  InvalidCursor: 'audit_invalid_cursor',
  InvalidRequest: 'validation_failed',
} as const;
