import { Controller, UseFilters, UseGuards } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { BusContext, BusRpcExceptionFilter } from '@gad/bus';
import {
  EventTypes,
  geoPositionsIngestRequestSchema,
  geoPositionsInBboxRequestSchema,
  GeoRpcPatterns,
  geoUnitTrackRequestSchema,
  parseEventData,
  type Envelope,
  type GeoPositionsIngestRequest,
  type GeoPositionsInBboxRequest,
  type GeoUnitTrackRequest,
  type PositionsInBboxResponse,
  type PositionsIngestResult,
  type PositionsReportedV1,
  type UnitTrackResponse,
} from '@gad/contracts';
import { ZodPipe } from '@gad/platform';
import { createLogger } from '@gad/observability';
import { AgencyScopeGuard } from '../rpc/agency-scope.guard';
import { IngestBatcher } from './ingest-batcher.service';
import { PositionsService } from './positions.service';

/** Bus entry points of positions: the `gad:geo:positions` stream and the position RPCs. */
// Keeps domain error codes in RPC replies (also when the transport's global filter is not applied).
@UseFilters(new BusRpcExceptionFilter())
@Controller()
export class PositionsHandler {
  private readonly logger = createLogger('geo-positions');

  constructor(
    private readonly positions: PositionsService,
    private readonly batcher: IngestBatcher,
  ) {}

  /** Resolves once the fixes are committed; a throw leaves the entry pending (retry, then DLQ). */
  @EventPattern(EventTypes.PositionsReported)
  async onPositionsReported(@Payload() envelope: Envelope): Promise<void> {
    const parsed = parseEventData(envelope.type, envelope.version, envelope.data);
    if (!parsed.success) {
      this.logger.warn(
        { eventId: envelope.id, type: envelope.type, error: parsed.error },
        'invalid event',
      );
      throw new Error(`invalid ${envelope.type}@v${envelope.version}: ${parsed.error}`);
    }
    const data = parsed.data as PositionsReportedV1;
    await this.batcher.submit(envelope.agencyId, data.positions, envelope.traceparent);
  }

  @UseGuards(AgencyScopeGuard)
  @MessagePattern(GeoRpcPatterns.PositionsIngest)
  ingest(
    @Payload(new ZodPipe(geoPositionsIngestRequestSchema)) request: GeoPositionsIngestRequest,
    @Ctx() context: BusContext,
  ): Promise<PositionsIngestResult> {
    return this.positions.ingest(
      request.agencyId,
      request.positions,
      context.getEnvelope().traceparent,
    );
  }

  @UseGuards(AgencyScopeGuard)
  @MessagePattern(GeoRpcPatterns.PositionsInBbox)
  inBbox(
    @Payload(new ZodPipe(geoPositionsInBboxRequestSchema, 'query'))
    request: GeoPositionsInBboxRequest,
  ): Promise<PositionsInBboxResponse> {
    return this.positions.inBbox(request);
  }

  @UseGuards(AgencyScopeGuard)
  @MessagePattern(GeoRpcPatterns.UnitTrack)
  track(
    @Payload(new ZodPipe(geoUnitTrackRequestSchema, 'query')) request: GeoUnitTrackRequest,
  ): Promise<UnitTrackResponse> {
    return this.positions.track(request);
  }
}
