import { Controller, UseFilters, UseGuards } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { BusRpcExceptionFilter } from '@gad/bus';
import {
  geoNearestRequestSchema,
  GeoRpcPatterns,
  type GeoNearestRequest,
  type GeoNearestResponse,
} from '@gad/contracts';
import { ZodPipe } from '@gad/platform';
import { NearestService } from './nearest.service';
import { AgencyScopeGuard } from '../rpc/agency-scope.guard';

// Keeps domain error codes in RPC replies (also when the transport's global filter is not applied).
@UseFilters(new BusRpcExceptionFilter())
@UseGuards(AgencyScopeGuard)
@Controller()
export class NearestHandler {
  constructor(private readonly nearest: NearestService) {}

  @MessagePattern(GeoRpcPatterns.Nearest)
  find(
    @Payload(new ZodPipe(geoNearestRequestSchema, 'query')) request: GeoNearestRequest,
  ): Promise<GeoNearestResponse> {
    return this.nearest.nearest(request);
  }
}
