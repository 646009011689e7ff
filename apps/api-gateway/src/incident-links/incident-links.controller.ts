import { Controller } from '@nestjs/common';
import {
  operations,
  type AccessClaims,
  type Incident,
  type IncidentLinks,
  type MergeIncidentRequest,
  type SplitIncidentRequest,
  type SplitIncidentResult,
} from '@gad/contracts';
import { Audited } from '@gad/audit';
import { CurrentUser, HttpOperation, OperationBody, OperationParams } from '@gad/platform';
import { IncidentLinksService } from './incident-links.service';

@Controller()
export class IncidentLinksController {
  constructor(private readonly links: IncidentLinksService) {}

  @HttpOperation(operations.mergeIncident)
  @Audited({ action: 'incident.merge', objectType: 'incident' })
  merge(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.mergeIncident) params: { id: string },
    @OperationBody(operations.mergeIncident) body: MergeIncidentRequest,
  ): Promise<Incident> {
    return this.links.merge(user, params.id, body);
  }

  @HttpOperation(operations.splitIncident)
  @Audited({ action: 'incident.split', objectType: 'incident' })
  split(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.splitIncident) params: { id: string },
    @OperationBody(operations.splitIncident) body: SplitIncidentRequest,
  ): Promise<SplitIncidentResult> {
    return this.links.split(user, params.id, body);
  }

  @HttpOperation(operations.getIncidentLinks)
  get(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.getIncidentLinks) params: { id: string },
  ): Promise<IncidentLinks> {
    return this.links.links(user, params.id);
  }
}
