import { z } from 'zod';
import { pointSchema } from '../../geo/geojson.schema';

/**
 * `unit.moved` v1 on `gad:geo:events` (producer: geo-service), for consoles: the newest fix of a
 * unit, coalesced to at most one event per unit per second (latest wins; not replayed).
 */
export const unitMovedV1 = z.object({
  unitId: z.string(),
  position: pointSchema,
  recordedAt: z.iso.datetime({ offset: true }),
  seq: z.number().int(),
  accuracyM: z.number().optional(),
  speedMps: z.number().optional(),
  headingDeg: z.number().optional(),
});
export type UnitMovedV1 = z.infer<typeof unitMovedV1>;
