import { z } from 'zod';
import { num } from '../primitives/primitives.schema';

export const longitudeSchema = num().min(-180).max(180);
export const latitudeSchema = num().min(-90).max(90);

/** RFC 7946 position: `[longitude, latitude]`. */
export const positionSchema = z.tuple([longitudeSchema, latitudeSchema]);

export const pointSchema = z.object({
  type: z.literal('Point'),
  coordinates: positionSchema,
});
export type GeoPoint = z.infer<typeof pointSchema>;

/**
 * A point in a request (REST body, socket payload): like every request object it refuses unknown
 * keys (422 naming them) instead of dropping them. Responses and events keep {@link pointSchema}.
 */
export const pointInputSchema = z.strictObject({
  type: z.literal('Point'),
  coordinates: positionSchema,
});
