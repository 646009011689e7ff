import { Controller } from '@nestjs/common';
import {
  operations,
  type AccessClaims,
  type Call,
  type CallList,
  type CallWithIncident,
  type CreateCallRequest,
  type CreateIncidentFromCallRequest,
  type LinkCallRequest,
  type ListCallsQuery,
} from '@gad/contracts';
import { Audited } from '@gad/audit';
import {
  CurrentUser,
  HttpOperation,
  OperationBody,
  OperationParams,
  OperationQuery,
} from '@gad/platform';
import { CallsService } from './calls.service';

@Controller()
export class CallsController {
  constructor(private readonly calls: CallsService) {}

  @HttpOperation(operations.createCall)
  @Audited({ action: 'call.create', objectType: 'call' })
  create(
    @CurrentUser() user: AccessClaims,
    @OperationBody(operations.createCall) body: CreateCallRequest,
  ): Promise<Call> {
    return this.calls.create(user, body);
  }

  @HttpOperation(operations.listCalls)
  list(
    @CurrentUser() user: AccessClaims,
    @OperationQuery(operations.listCalls) query: ListCallsQuery,
  ): Promise<CallList> {
    return this.calls.list(user, query);
  }

  @HttpOperation(operations.getCall)
  get(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.getCall) params: { id: string },
  ): Promise<Call> {
    return this.calls.get(user, params.id);
  }

  @HttpOperation(operations.linkCall)
  @Audited({ action: 'call.link', objectType: 'call' })
  link(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.linkCall) params: { id: string },
    @OperationBody(operations.linkCall) body: LinkCallRequest,
  ): Promise<Call> {
    return this.calls.link(user, params.id, body.incidentId);
  }

  @HttpOperation(operations.createIncidentFromCall)
  @Audited({ action: 'call.create_incident', objectType: 'call' })
  createIncident(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.createIncidentFromCall) params: { id: string },
    @OperationBody(operations.createIncidentFromCall) body: CreateIncidentFromCallRequest,
  ): Promise<CallWithIncident> {
    return this.calls.createIncident(user, params.id, body);
  }
}
