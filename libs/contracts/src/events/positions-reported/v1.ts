import { z } from 'zod';
import { MAX_POSITIONS_PER_BATCH, positionFixSchema } from '../../http/positions.schema';

/**
 * `positions.reported` v1 on `gad:geo:positions` (producers: ws-gateway from `/field` sockets,
 * api-gateway from `POST /v1/positions`). One envelope carries 1..500 fixes of the envelope's
 * agency; geo-service ingests them in batches.
 */
export const positionsReportedV1 = z.object({
  positions: z.array(positionFixSchema).min(1).max(MAX_POSITIONS_PER_BATCH),
});
export type PositionsReportedV1 = z.infer<typeof positionsReportedV1>;
