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
