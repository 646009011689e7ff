import { Controller } from '@nestjs/common';
import {
  operations,
  type AccessClaims,
  type CreateIncidentTypeRequest,
  type IncidentType,
  type IncidentTypeList,
  type UpdateIncidentTypeRequest,
} from '@gad/contracts';
import { Audited } from '@gad/audit';
import { CurrentUser, HttpOperation, OperationBody, OperationParams } from '@gad/platform';
import { IncidentTypesService } from './incident-types.service';

@Controller()
export class IncidentTypesController {
  constructor(private readonly types: IncidentTypesService) {}

  @HttpOperation(operations.listIncidentTypes)
  list(@CurrentUser() user: AccessClaims): Promise<IncidentTypeList> {
    return this.types.list(user);
  }

  @HttpOperation(operations.createIncidentType)
  @Audited({ action: 'incident_type.create', objectType: 'incident_type' })
  create(
    @CurrentUser() user: AccessClaims,
    @OperationBody(operations.createIncidentType) body: CreateIncidentTypeRequest,
  ): Promise<IncidentType> {
    return this.types.create(user, body);
  }

  @HttpOperation(operations.getIncidentType)
  get(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.getIncidentType) params: { code: string },
  ): Promise<IncidentType> {
    return this.types.get(user, params.code);
  }

  @HttpOperation(operations.updateIncidentType)
  @Audited({ action: 'incident_type.update', objectType: 'incident_type', idParam: 'code' })
  update(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.updateIncidentType) params: { code: string },
    @OperationBody(operations.updateIncidentType) body: UpdateIncidentTypeRequest,
  ): Promise<IncidentType> {
    return this.types.update(user, params.code, body);
  }
}
