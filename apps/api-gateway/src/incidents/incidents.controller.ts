import { Controller, Headers, Res } from '@nestjs/common';
import {
  operations,
  type AccessClaims,
  type CreateIncidentRequest,
  type Incident,
  type IncidentList,
  type IncidentTimeline,
  type ListIncidentsQuery,
  type UpdateIncidentRequest,
} from '@gad/contracts';
import { Audited } from '@gad/audit';
import {
  CurrentUser,
  HttpOperation,
  OperationBody,
  OperationParams,
  OperationQuery,
} from '@gad/platform';
import type { FastifyReply } from 'fastify';
import { etagOf } from './incidents.mapper';
import { IncidentsService } from './incidents.service';

function withEtag(reply: FastifyReply, incident: Incident): Incident {
  if (incident.version !== undefined) {
    void reply.header('etag', etagOf(incident.version));
  }
  return incident;
}

@Controller()
export class IncidentsController {
  constructor(private readonly incidents: IncidentsService) {}

  @HttpOperation(operations.createIncident)
  @Audited({ action: 'incident.create', objectType: 'incident' })
  async create(
    @CurrentUser() user: AccessClaims,
    @OperationBody(operations.createIncident) body: CreateIncidentRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Incident> {
    return withEtag(reply, await this.incidents.create(user, body));
  }

  @HttpOperation(operations.listIncidents)
  list(
    @CurrentUser() user: AccessClaims,
    @OperationQuery(operations.listIncidents) query: ListIncidentsQuery,
  ): Promise<IncidentList> {
    return this.incidents.list(user, query);
  }

  @HttpOperation(operations.getIncident)
  async get(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.getIncident) params: { id: string },
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Incident> {
    return withEtag(reply, await this.incidents.get(user, params.id));
  }

  @HttpOperation(operations.updateIncident)
  @Audited({ action: 'incident.update', objectType: 'incident' })
  async update(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.updateIncident) params: { id: string },
    @OperationBody(operations.updateIncident) body: UpdateIncidentRequest,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Incident> {
    return withEtag(reply, await this.incidents.update(user, params.id, ifMatch, body));
  }

  @HttpOperation(operations.getIncidentTimeline)
  timeline(
    @CurrentUser() user: AccessClaims,
    @OperationParams(operations.getIncidentTimeline) params: { id: string },
  ): Promise<IncidentTimeline> {
    return this.incidents.timelineOf(user, params.id);
  }
}
