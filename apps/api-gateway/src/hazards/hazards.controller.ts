import { Controller } from '@nestjs/common';
import {
  operations,
  type AccessClaims,
  type CreateHazardRequest,
  type Hazard,
  type HazardList,
  type IncidentHazards,
  type ListHazardsQuery,
  type UpdateHazardRequest,
} from '@gad/contracts';
import { Audited } from '@gad/audit';
import {
  CurrentUser,
  HttpOperation,
  OperationBody,
  OperationParams,
  OperationQuery,
} from '@gad/platform';
import { HazardsService } from './hazards.service';

/** Premise and hazard information of the caller's agency. */
@Controller()
export class HazardsController {
  constructor(private readonly hazards: HazardsService) {}

  @HttpOperation(operations.createHazard)
  @Audited({ action: 'hazard.create', objectType: 'hazard' })
  create(
    @CurrentUser() user: AccessClaims,
    @OperationBody(operations.createHazard) body: CreateHazardRequest,
  ): Promise<Hazard> {
    return this.hazards.create(user, body);
  }

  @HttpOperation(operations.listHazards)
  list(
    @CurrentUser() user: AccessClaims,
    @OperationQuery(operations.listHazards) query: ListHazardsQuery,
  ): Promise<HazardList> {
    return this.hazards.list(user, query);
  }

  @HttpOperation(operations.getHazard)
  get(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.getHazard) params: { id: string },
  ): Promise<Hazard> {
    return this.hazards.get(user, params.id);
  }

  @HttpOperation(operations.updateHazard)
  @Audited({ action: 'hazard.update', objectType: 'hazard' })
  update(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.updateHazard) params: { id: string },
    @OperationBody(operations.updateHazard) body: UpdateHazardRequest,
  ): Promise<Hazard> {
    return this.hazards.update(user, params.id, body);
  }

  @HttpOperation(operations.deleteHazard)
  @Audited({ action: 'hazard.delete', objectType: 'hazard' })
  delete(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.deleteHazard) params: { id: string },
  ): Promise<void> {
    return this.hazards.delete(user, params.id);
  }

  @HttpOperation(operations.getIncidentHazards)
  ofIncident(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.getIncidentHazards) params: { id: string },
  ): Promise<IncidentHazards> {
    return this.hazards.ofIncident(user, params.id);
  }
}
