import { Controller, UseFilters, UseGuards } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { BusRpcExceptionFilter } from '@gad/bus';
import {
  GeoRpcPatterns,
  geoRetentionSetRequestSchema,
  type GeoRetentionSetRequest,
} from '@gad/contracts';
import { ZodPipe } from '@gad/platform';
import { RetentionService } from './retention.service';
import { AgencyScopeGuard } from '../rpc/agency-scope.guard';

// Keeps domain error codes in RPC replies (also when the transport's global filter is not applied).
@UseFilters(new BusRpcExceptionFilter())
@UseGuards(AgencyScopeGuard)
@Controller()
export class RetentionHandler {
  constructor(private readonly retention: RetentionService) {}

  @MessagePattern(GeoRpcPatterns.RetentionSet)
  set(
    @Payload(new ZodPipe(geoRetentionSetRequestSchema)) request: GeoRetentionSetRequest,
  ): Promise<GeoRetentionSetRequest> {
    return this.retention.setRetention(request);
  }
}
