import { z } from 'zod';
import { text, timestamp, num } from '../../primitives/primitives.schema';

/** Stream on which audit-log-worker publishes `audit.checkpoint` envelopes (kept outside the DB). */
export const AUDIT_EVENTS_STREAM = 'gad:audit:events';

/**
 * `audit.checkpoint` v1: a signed statement "agency X's chain had head `headHash` at `seq`, and this
 * checkpoint covers `count` entries since the previous one". `signature` is Ed25519 (base64) over
 * the canonical JSON of every other field.
 */
export const auditCheckpointV1 = z.object({
  checkpointId: text().min(1),
  agencyId: text().min(1).max(100),
  seq: num().int().min(1),
  headHash: text().regex(/^[0-9a-f]{64}$/),
  count: num().int().min(1),
  prevCheckpointSeq: num().int().min(0),
  createdAt: timestamp(),
  keyId: text().min(1),
  signature: text().min(1),
});
export type AuditCheckpointV1 = z.infer<typeof auditCheckpointV1>;
