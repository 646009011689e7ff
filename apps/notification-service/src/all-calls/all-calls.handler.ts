import { Controller, UseFilters } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { BusContext, BusRpcExceptionFilter } from '@gad/bus';
import {
  NotifyAllCallPatterns,
  notifyAllCallCreateRequestSchema,
  notifyAllCallGetRequestSchema,
  type AllCall,
} from '@gad/contracts';
import { parseRpcRequest } from '../intake/rpc-request';
import { AllCallsService } from './all-calls.service';

/** `notify.all_calls.create|get` on `gad:rpc:notification-service`: validate, scope, delegate. */
@Controller()
@UseFilters(new BusRpcExceptionFilter())
export class AllCallsHandler {
  constructor(private readonly allCalls: AllCallsService) {}

  @MessagePattern(NotifyAllCallPatterns.Create)
  create(@Payload() payload: unknown, @Ctx() ctx: BusContext): Promise<AllCall> {
    return this.allCalls.create(parseRpcRequest(notifyAllCallCreateRequestSchema, payload, ctx));
  }

  @MessagePattern(NotifyAllCallPatterns.Get)
  get(@Payload() payload: unknown, @Ctx() ctx: BusContext): Promise<AllCall> {
    const request = parseRpcRequest(notifyAllCallGetRequestSchema, payload, ctx);
    return this.allCalls.get(request.agencyId, request.allCallId);
  }
}
