import { z } from 'zod';
import { text, timestamp, num } from '../../primitives/primitives.schema';
import { pointSchema } from '../../geo/geojson.schema';

/**
 * `unit.moved` v1 on `gad:geo:events` (producer: geo-service), for consoles: the newest fix of a
 * unit, coalesced to at most one event per unit per second (latest wins; not replayed).
 */
export const unitMovedV1 = z.object({
  unitId: text(),
  position: pointSchema,
  recordedAt: timestamp(),
  seq: num().int(),
  accuracyM: num().optional(),
  speedMps: num().optional(),
  headingDeg: num().optional(),
});
export type UnitMovedV1 = z.infer<typeof unitMovedV1>;
