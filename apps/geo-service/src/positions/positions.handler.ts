import { Controller, UseFilters, UseGuards } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { BusContext, BusRpcExceptionFilter, OnEvent, type EventEnvelope } from '@gad/bus';
import {
  EventTypes,
  geoPositionsIngestRequestSchema,
  geoPositionsInBboxRequestSchema,
  GeoRpcPatterns,
  geoUnitTrackRequestSchema,
  type GeoPositionsIngestRequest,
  type GeoPositionsInBboxRequest,
  type GeoUnitTrackRequest,
  type PositionsInBboxResponse,
  type PositionsIngestResult,
  type UnitTrackResponse,
} from '@gad/contracts';
import { ZodPipe } from '@gad/platform';
import { AgencyScopeGuard } from '../rpc/agency-scope.guard';
import { IngestBatcher } from './ingest-batcher.service';
import { PositionsService } from './positions.service';

/** Bus entry points of positions: the `gad:geo:positions` stream and the position RPCs. */
// Keeps domain error codes in RPC replies (also when the transport's global filter is not applied).
@UseFilters(new BusRpcExceptionFilter())
@Controller()
export class PositionsHandler {
  constructor(
    private readonly positions: PositionsService,
    private readonly batcher: IngestBatcher,
  ) {}

  /** Resolves once the fixes are committed; a throw leaves the entry pending (retry, then DLQ). */
  @OnEvent(EventTypes.PositionsReported)
  async onPositionsReported(@Payload() event: EventEnvelope<'positions.reported'>): Promise<void> {
    await this.batcher.submit(event.agencyId, event.data.positions, event.traceparent);
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
