import { Controller, Headers, Res } from '@nestjs/common';
import {
  operations,
  type AccessClaims,
  type Assignment,
  type AssignmentList,
  type ChangeAssignmentStatusRequest,
  type ChangeIncidentStatusRequest,
  type CreateAssignmentRequest,
  type Incident,
} from '@gad/contracts';
import { Audited } from '@gad/audit';
import { CurrentUser, HttpOperation, OperationBody, OperationParams } from '@gad/platform';
import type { FastifyReply } from 'fastify';
import { etagOf } from '../incidents/incidents.mapper';
import { AssignmentsService } from './assignments.service';

/** Assignments, and incident status changes (which clear assignments when an incident ends). */
@Controller()
export class AssignmentsController {
  constructor(private readonly assignments: AssignmentsService) {}

  @HttpOperation(operations.createAssignment)
  @Audited({ action: 'assignment.create', objectType: 'incident' })
  create(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.createAssignment) params: { id: string },
    @OperationBody(operations.createAssignment) body: CreateAssignmentRequest,
  ): Promise<Assignment> {
    return this.assignments.create(user, params.id, body);
  }

  @HttpOperation(operations.listIncidentAssignments)
  list(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.listIncidentAssignments) params: { id: string },
  ): Promise<AssignmentList> {
    return this.assignments.listByIncident(user, params.id);
  }

  @HttpOperation(operations.getAssignment)
  get(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.getAssignment) params: { id: string },
  ): Promise<Assignment> {
    return this.assignments.get(user, params.id);
  }

  @HttpOperation(operations.changeAssignmentStatus)
  @Audited({ action: 'assignment.status_change', objectType: 'assignment' })
  changeStatus(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.changeAssignmentStatus) params: { id: string },
    @OperationBody(operations.changeAssignmentStatus) body: ChangeAssignmentStatusRequest,
  ): Promise<Assignment> {
    return this.assignments.changeStatus(user, params.id, body);
  }

  @HttpOperation(operations.changeIncidentStatus)
  @Audited({ action: 'incident.status_change', objectType: 'incident' })
  async changeIncidentStatus(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.changeIncidentStatus) params: { id: string },
    @OperationBody(operations.changeIncidentStatus) body: ChangeIncidentStatusRequest,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Incident> {
    const incident = await this.assignments.changeIncidentStatus(user, params.id, body, ifMatch);
    if (incident.version !== undefined) {
      void reply.header('etag', etagOf(incident.version));
    }
    return incident;
  }
}
