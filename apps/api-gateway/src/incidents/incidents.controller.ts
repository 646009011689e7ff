import { Controller } from '@nestjs/common';
import {
  operations,
  type AccessClaims,
  type CreateIncidentRequest,
  type Incident,
} from '@gad/contracts';
import { Audited } from '@gad/audit';
import { CurrentUser, HttpOperation, OperationBody, OperationParams } from '@gad/platform';
import { IncidentsService } from './incidents.service';

@Controller()
export class IncidentsController {
  constructor(private readonly incidents: IncidentsService) {}

  @HttpOperation(operations.createIncident)
  @Audited({ action: 'incident.create', objectType: 'incident' })
  create(
    @CurrentUser() user: AccessClaims,
    @OperationBody(operations.createIncident) body: CreateIncidentRequest,
  ): Promise<Incident> {
    return this.incidents.create(user, body);
  }

  @HttpOperation(operations.getIncident)
  get(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.getIncident) params: { id: string },
  ): Promise<Incident> {
    return this.incidents.get(user, params.id);
  }
}
