import { z } from 'zod';
import { text } from '../primitives/primitives.schema';
import { auditEntrySchema } from '../jobs/audit-entry.schema';

/**
 * The audit entry a change forwarded over RPC carries (envelope field `audit`, docs/adr/0021): the
 * entry api-gateway would write for the request on success (same id on every retry). The serving
 * service records it in the unit-of-work transaction that makes the change, completed with the
 * change's before and after images, and says so in its reply (`audited`: the entry id); the
 * gateway then does not record it again. A request the service refuses or fails keeps its entry at
 * the gateway (outcome `denied`/`failed`).
 */
export const rpcAuditSchema = z.object({
  entry: auditEntrySchema.extend({ outcome: z.literal('success') }),
  /** Without before/after images from the handler, the change's result becomes `after`. */
  captureResult: z.boolean(),
  /** Member of the result holding the object's id, when the entry's object has none yet. */
  idParam: text().min(1).max(100),
});
export type RpcAudit = z.infer<typeof rpcAuditSchema>;
