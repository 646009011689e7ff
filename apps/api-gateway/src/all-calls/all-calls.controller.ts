import { Controller } from '@nestjs/common';
import {
  operations,
  type AccessClaims,
  type AllCall,
  type CreateAllCallRequest,
} from '@gad/contracts';
import { Audited } from '@gad/audit';
import { CurrentUser, HttpOperation, OperationBody, OperationParams } from '@gad/platform';
import { AllCallsService } from './all-calls.service';

/** All-calls: a message to every on-duty unit of the agency, and who received, saw, accepted it. */
@Controller()
export class AllCallsController {
  constructor(private readonly allCalls: AllCallsService) {}

  @HttpOperation(operations.createAllCall)
  @Audited({ action: 'all_call.create', objectType: 'all_call' })
  create(
    @CurrentUser() user: AccessClaims,
    @OperationBody(operations.createAllCall) body: CreateAllCallRequest,
  ): Promise<AllCall> {
    return this.allCalls.create(user, body);
  }

  @HttpOperation(operations.getAllCall)
  get(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.getAllCall) params: { id: string },
  ): Promise<AllCall> {
    return this.allCalls.get(user, params.id);
  }
}
