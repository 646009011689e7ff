import { z } from 'zod';
import { num, queryNumber, text, timestamp } from '../primitives/primitives.schema';
import { actorSchema } from '../envelope/envelope.schema';
import { auditEntrySchema, auditOutcomeSchema } from '../jobs/audit-entry.schema';

/**
 * Query string of `GET /v1/audit` (auditors): every filter optional, cursor pagination. The gateway
 * adds the caller's agency and identity and forwards it as the `audit.query` RPC.
 */
export const auditQueryFiltersSchema = z.strictObject({
  actorId: text().min(1).max(200).optional(),
  action: text().min(1).max(100).optional(),
  objectType: text().min(1).max(100).optional(),
  objectId: text().min(1).max(200).optional(),
  outcome: auditOutcomeSchema.optional(),
  /** Inclusive lower bound on `occurredAt`. */
  from: timestamp().optional(),
  /** Exclusive upper bound on `occurredAt`. */
  to: timestamp().optional(),
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor: text().min(1).max(200).optional(),
  limit: queryNumber(num().int().min(1).max(500).default(100)),
});
export type AuditQueryFilters = z.infer<typeof auditQueryFiltersSchema>;

/** A stored entry: the recorded entry plus its place in the agency's chain. */
export const storedAuditEntrySchema = z.object({
  seq: num().int().min(1),
  hash: text(),
  prevHash: text(),
  recordedAt: timestamp(),
  entry: auditEntrySchema,
});
export type StoredAuditEntry = z.infer<typeof storedAuditEntrySchema>;

/** Newest first. `nextCursor` is absent on the last page. */
export const auditQueryReplySchema = z.object({
  items: z.array(storedAuditEntrySchema),
  nextCursor: text().optional(),
});
export type AuditQueryReply = z.infer<typeof auditQueryReplySchema>;

/** Query string of `GET /v1/audit/verify`: a sequence or time range of the caller's agency chain. */
export const auditVerifyRangeSchema = z.strictObject({
  fromSeq: queryNumber(num().int().min(1)).optional(),
  toSeq: queryNumber(num().int().min(1)).optional(),
  from: timestamp().optional(),
  to: timestamp().optional(),
});
export type AuditVerifyRange = z.infer<typeof auditVerifyRangeSchema>;

export const auditChainBreakSchema = z.object({
  seq: num().int(),
  entryId: text().optional(),
  reason: z.enum([
    'hash_mismatch',
    'prev_hash_mismatch',
    'missing_entry',
    'duplicate_entry',
    'checkpoint_signature_invalid',
    'checkpoint_mismatch',
    'checkpoint_entry_missing',
    // Against the checkpoint links and the witness outside the database (docs/adr/0022).
    'checkpoint_link_broken',
    'checkpoint_missing',
    'witness_mismatch',
    'unwitnessed_entry',
    'purge_anchor_invalid',
    'witness_invalid',
  ]),
  detail: text(),
  /**
   * The entries that may be affected: from the first entry in doubt (just after the last point a
   * signed checkpoint or the witness still vouches for) to the last one the break can reach.
   */
  inDoubt: z.object({ fromSeq: num().int(), toSeq: num().int() }).optional(),
});
export type AuditChainBreak = z.infer<typeof auditChainBreakSchema>;

export const auditVerifyReplySchema = z.object({
  agencyId: text(),
  valid: z.boolean(),
  /** Entries examined and the sequence range they span (0 when the range is empty). */
  entriesChecked: num().int(),
  firstSeq: num().int(),
  lastSeq: num().int(),
  /**
   * Where the recomputation started: `genesis` (sequence 1, zero hash), `purge` (just after the
   * entries retention removed, from the recorded hash) or `range` (mid-chain, trusting the first
   * entry's `prevHash`).
   */
  anchoredAt: z.enum(['genesis', 'purge', 'range']),
  checkpointsChecked: num().int(),
  /** Last sequence a valid signed checkpoint vouches for (0 when none). */
  lastCheckpointSeq: num().int(),
  /**
   * When checked against the witness (docs/adr/0022): the last sequence it vouches for; entries
   * after it are the unwitnessed tail.
   */
  witnessedThroughSeq: num().int().optional(),
  /**
   * Whether the chain was checked against the witness outside the database (docs/adr/0022):
   * `checked` is true when the worker has one (`AUDIT_WITNESS_DIR`), with the files and lines read.
   * Without it, only what the database vouches for was checked (see ADR 0022's Consequences).
   */
  witness: z
    .object({
      checked: z.boolean(),
      files: num().int().min(0).optional(),
      lines: num().int().min(0).optional(),
    })
    .optional(),
  /** The first broken entry, when `valid` is false. */
  firstBreak: auditChainBreakSchema.optional(),
});
export type AuditVerifyReply = z.infer<typeof auditVerifyReplySchema>;

/** Who asks: the query is itself audited with this identity. */
const auditRequesterSchema = z.object({
  actor: actorSchema,
  traceId: text()
    .regex(/^[0-9a-f]{32}$/)
    .optional(),
  ip: text().max(100).optional(),
  userAgent: text().max(500).optional(),
});

/** RPC `audit.query` on `gad:rpc:audit-log-worker`: the HTTP query plus the caller's agency and identity. */
export const auditQueryRequestSchema = auditQueryFiltersSchema.extend({
  agencyId: text().min(1).max(100),
  requestedBy: auditRequesterSchema,
});
export type AuditQueryRequest = z.infer<typeof auditQueryRequestSchema>;

/** RPC `audit.verify` on `gad:rpc:audit-log-worker`. */
export const auditVerifyRequestSchema = auditVerifyRangeSchema.extend({
  agencyId: text().min(1).max(100),
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
