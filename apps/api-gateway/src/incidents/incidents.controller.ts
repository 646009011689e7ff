import { Controller, Headers, Res } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import {
  operations,
  type AccessClaims,
  type CreatedIncident,
  type CreateIncidentQuery,
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
import { DispatchPlansService } from '../dispatch-plans/dispatch-plans.service';
import { etagOf } from './incidents.mapper';
import { IncidentsService } from './incidents.service';

function withEtag<T extends Incident>(reply: FastifyReply, incident: T): T {
  if (incident.version !== undefined) {
    void reply.header('etag', etagOf(incident.version));
  }
  return incident;
}

@Controller()
export class IncidentsController {
  constructor(
    private readonly incidents: IncidentsService,
    private readonly modules: ModuleRef,
  ) {}

  /**
   * The dispatch-plans module builds on this one (it needs incidents), so its service is looked up
   * when a create asks for the proposal instead of importing that module back.
   */
  private get plans(): DispatchPlansService {
    return this.modules.get(DispatchPlansService, { strict: false });
  }

  /** With `propose=plan`, the type's plan proposal comes with the incident (after the commit). */
  @HttpOperation(operations.createIncident)
  @Audited({ action: 'incident.create', objectType: 'incident' })
  async create(
    @CurrentUser() user: AccessClaims,
    @OperationQuery(operations.createIncident) query: CreateIncidentQuery,
    @OperationBody(operations.createIncident) body: CreateIncidentRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CreatedIncident> {
    const incident = await this.incidents.create(user, body);
    return withEtag(
      reply,
      query.propose === 'plan'
        ? { ...incident, plan: await this.plans.proposalAfterCreate(user, incident.id) }
        : incident,
    );
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
