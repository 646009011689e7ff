import { z } from 'zod';
import { traceparentSchema } from '../../envelope/envelope.schema';
import { text, timestamp, num } from '../../primitives/primitives.schema';

/** Who a command or notice is for: a unit's devices, or one user's sockets. */
export const recipientSchema = z.object({
  kind: z.enum(['unit', 'user']),
  id: text().min(1).max(100),
});
export type Recipient = z.infer<typeof recipientSchema>;

/**
 * `command.issued` v1 (producer: notification-service, whose outbox relay appends it to the
 * recipient's durable command log with the next per-recipient `seq` and publishes it to every
 * ws-gateway instance in one Redis call, docs/adr/0020; also journalled on `gad:notify:outbound`,
 * which no service consumes to deliver it). A command must be acknowledged. A retried delivery
 * carries the same `commandId`, so a device recognises a duplicate.
 */
export const commandIssuedV1 = z.object({
  commandId: z.uuid(),
  recipient: recipientSchema,
  kind: z.enum(['dispatch', 'recall', 'message']),
  critical: z.boolean(),
  assignmentId: z.uuid().optional(),
  incidentId: z.uuid().optional(),
  /** Rendered in the recipient's locale. */
  title: text().max(200),
  body: text().max(4000),
  locale: z.enum(['es', 'en']),
  /** Structured payload for the device (incident location, priority, address...). */
  payload: z.record(text(), z.unknown()).optional(),
  issuedAt: timestamp(),
});
export type CommandIssuedV1 = z.infer<typeof commandIssuedV1>;

/** What a device receives on `/field` as `command`: the issued command plus its log sequence. */
export const deliveredCommandSchema = commandIssuedV1.extend({
  /** Per-recipient sequence, gap-free, starting at 1. */
  seq: num().int().min(1),
  /**
   * The trace of the dispatch that issued the command: the device returns it on `command.ack`,
   * so the acknowledgement joins that trace (`@gad/client` does it).
   */
  traceparent: traceparentSchema.optional(),
});
export type DeliveredCommand = z.infer<typeof deliveredCommandSchema>;
