import { Controller } from '@nestjs/common';
import {
  operations,
  type AccessClaims,
  type DispatchPlanRequest,
  type DispatchPlanResult,
  type PlanProposal,
} from '@gad/contracts';
import { Audited } from '@gad/audit';
import { CurrentUser, HttpOperation, OperationBody, OperationParams } from '@gad/platform';
import { DispatchPlansService } from './dispatch-plans.service';

@Controller()
export class DispatchPlansController {
  constructor(private readonly plans: DispatchPlansService) {}

  @HttpOperation(operations.getIncidentPlan)
  proposal(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.getIncidentPlan) params: { id: string },
  ): Promise<PlanProposal> {
    return this.plans.proposal(user, params.id);
  }

  @HttpOperation(operations.dispatchIncidentPlan)
  @Audited({ action: 'incident.plan_dispatch', objectType: 'incident' })
  dispatch(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.dispatchIncidentPlan) params: { id: string },
    @OperationBody(operations.dispatchIncidentPlan) body: DispatchPlanRequest,
  ): Promise<DispatchPlanResult> {
    return this.plans.dispatch(user, params.id, body);
  }
}
