import { z } from 'zod';
import { timestamp, num } from '../../primitives/primitives.schema';
import { geofenceEventBaseSchema } from '../geofence-entered/v1';

/**
 * `geofence.exited` v1 on `gad:geo:events` (producer: geo-service). `at` is the device time of the
 * first fix outside; `dwellS` the time inside, from `enteredAt` to `at`.
 */
export const geofenceExitedV1 = geofenceEventBaseSchema.extend({
  at: timestamp(),
  enteredAt: timestamp(),
  dwellS: num().min(0),
});
export type GeofenceExitedV1 = z.infer<typeof geofenceExitedV1>;
