import { z } from 'zod';
import { text, timestamp } from '../../primitives/primitives.schema';
import { pointSchema } from '../../geo/geojson.schema';
import { callChannelSchema } from '../../http/calls.schema';

/** `call.received` v1 on `gad:dispatch:events` (producer: api-gateway): a call taken at intake. */
export const callReceivedV1 = z.object({
  callId: z.uuid(),
  channel: callChannelSchema,
  receivedAt: timestamp(),
  location: pointSchema.optional(),
  locationText: text().max(500).optional(),
  incidentType: text().max(64).optional(),
  /** Open incidents of the same type near in space and time (possible duplicate when any). */
  duplicateOf: z.array(z.uuid()),
});
export type CallReceivedV1 = z.infer<typeof callReceivedV1>;
