import { z } from 'zod';
import { text, timestamp } from '../../primitives/primitives.schema';
import { pointSchema } from '../../geo/geojson.schema';
import { geofenceKindSchema } from '../../http/geofences.schema';

/** Fields every geofence event carries. */
export const geofenceEventBaseSchema = z.object({
  geofenceId: text().uuid(),
  geofenceName: text(),
  kind: geofenceKindSchema,
  incidentId: text().optional(),
  unitId: text(),
  /** The fix that fired the event. */
  position: pointSchema,
});

/**
 * `geofence.entered` v1 on `gad:geo:events` (producer: geo-service). `at` is the device time of the
 * first fix inside (hysteresis may delay the event, not `at`). `initial` marks the state reported
 * when a unit first reports from inside a fence.
 */
export const geofenceEnteredV1 = geofenceEventBaseSchema.extend({
  at: timestamp(),
  initial: z.boolean(),
});
export type GeofenceEnteredV1 = z.infer<typeof geofenceEnteredV1>;
