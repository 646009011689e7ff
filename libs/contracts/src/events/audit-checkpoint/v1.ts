import { z } from 'zod';

/** Stream on which audit-log-worker publishes `audit.checkpoint` envelopes (kept outside the DB). */
export const AUDIT_EVENTS_STREAM = 'gad:audit:events';

/**
 * `audit.checkpoint` v1: a signed statement "agency X's chain had head `headHash` at `seq`, and this
 * checkpoint covers `count` entries since the previous one". `signature` is Ed25519 (base64) over
 * the canonical JSON of every other field.
 */
export const auditCheckpointV1 = z.object({
  checkpointId: z.string().min(1),
  agencyId: z.string().min(1).max(100),
  seq: z.number().int().min(1),
  headHash: z.string().regex(/^[0-9a-f]{64}$/),
  count: z.number().int().min(1),
  prevCheckpointSeq: z.number().int().min(0),
  createdAt: z.iso.datetime(),
  keyId: z.string().min(1),
  signature: z.string().min(1),
});
export type AuditCheckpointV1 = z.infer<typeof auditCheckpointV1>;
