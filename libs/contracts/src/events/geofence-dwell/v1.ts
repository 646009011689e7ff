import { z } from 'zod';
import { timestamp, num } from '../../primitives/primitives.schema';
import { geofenceEventBaseSchema } from '../geofence-entered/v1';

/**
 * `geofence.dwell` v1 on `gad:geo:events` (producer: geo-service): a unit has been inside longer
 * than the fence's `dwellThresholdS`; fires once per stay.
 */
export const geofenceDwellV1 = geofenceEventBaseSchema.extend({
  at: timestamp(),
  enteredAt: timestamp(),
  dwellS: num().min(0),
  thresholdS: num().int(),
});
export type GeofenceDwellV1 = z.infer<typeof geofenceDwellV1>;
