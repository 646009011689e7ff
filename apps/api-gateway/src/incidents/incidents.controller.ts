import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  createIncidentRequestSchema,
  type AccessClaims,
  type CreateIncidentRequest,
  type Incident,
} from '@gad/contracts';
import { Audited } from '@gad/audit';
import { CurrentUser, Roles, ZodPipe } from '@gad/platform';
import { z } from 'zod';
import { IncidentsService } from './incidents.service';

const incidentIdSchema = z.object({ id: z.uuid() });

@Controller('v1/incidents')
export class IncidentsController {
  constructor(private readonly incidents: IncidentsService) {}

  @Post()
  @HttpCode(201)
  @Audited({ action: 'incident.create', objectType: 'incident' })
  @Roles('dispatcher', 'supervisor', 'admin')
  create(
    @CurrentUser() user: AccessClaims,
    @Body(new ZodPipe(createIncidentRequestSchema, 'body')) body: CreateIncidentRequest,
  ): Promise<Incident> {
    return this.incidents.create(user, body);
  }

  @Get(':id')
  @Roles('dispatcher', 'supervisor', 'admin', 'auditor', 'officer')
  get(
    @CurrentUser() user: AccessClaims,
    @Param(new ZodPipe(incidentIdSchema, 'params')) params: { id: string },
  ): Promise<Incident> {
    return this.incidents.get(user, params.id);
  }
}
