import { z } from 'zod';
import { traceparentSchema } from '../../envelope/envelope.schema';
import { text, timestamp } from '../../primitives/primitives.schema';

export const commandAckStageSchema = z.enum(['delivered', 'seen', 'accepted', 'declined']);
export type CommandAckStage = z.infer<typeof commandAckStageSchema>;

/** Socket payload of `command.ack` on `/field` (from the device). */
export const commandAckRequestSchema = z.strictObject({
  commandId: z.uuid(),
  stage: commandAckStageSchema,
  reason: text().trim().min(1).max(500).optional(),
  /**
   * The `traceparent` the command arrived with: the ack's spans and its `command.acknowledged`
   * envelope join the dispatcher's trace.
   */
  traceparent: traceparentSchema.optional(),
});
export type CommandAckRequest = z.infer<typeof commandAckRequestSchema>;

/**
 * `command.acknowledged` v1 on `gad:field:acks` (producer: ws-gateway, after checking that the ack
 * comes from the command's recipient; consumers: api-gateway, which advances the assignment, and
 * notification-service, which stops escalation). The ack's `traceparent` is the envelope's.
 */
export const commandAcknowledgedV1 = commandAckRequestSchema.omit({ traceparent: true }).extend({
  unitId: text().min(1).max(100).optional(),
  userId: text().min(1).max(100),
  deviceId: text().max(200).optional(),
  /** Server time the ack was received. */
  receivedAt: timestamp(),
  /**
   * The acknowledged command's assignment, incident and all-call: ws-gateway adds them from the
   * command in the recipient's log (on `gad:field:acks` and to the consoles on `/dispatch`).
   */
  assignmentId: z.uuid().optional(),
  incidentId: z.uuid().optional(),
  allCallId: z.uuid().optional(),
});
export type CommandAcknowledgedV1 = z.infer<typeof commandAcknowledgedV1>;
