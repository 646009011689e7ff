import { z } from 'zod';
import { geofenceEventBaseSchema } from '../geofence-entered/v1';

/**
 * `geofence.dwell` v1 on `gad:geo:events` (producer: geo-service): a unit has been inside longer
 * than the fence's `dwellThresholdS`; fires once per stay.
 */
export const geofenceDwellV1 = geofenceEventBaseSchema.extend({
  at: z.iso.datetime({ offset: true }),
  enteredAt: z.iso.datetime({ offset: true }),
  dwellS: z.number().min(0),
  thresholdS: z.number().int(),
});
export type GeofenceDwellV1 = z.infer<typeof geofenceDwellV1>;
