import { Injectable } from '@nestjs/common';
import { OutboxRelay } from '@gad/bus';
import {
  createEnvelope,
  EventTypes,
  uuidv7,
  type AccessClaims,
  type CreateIncidentRequest,
  type Incident,
} from '@gad/contracts';
import { currentTraceparent } from '@gad/observability';
import { IncidentException } from './incidents.exception';
import { toIncident, toIncidentCreatedV1 } from './incidents.mapper';
import { IncidentsRepository } from './incidents.repository';

@Injectable()
export class IncidentsService {
  constructor(
    private readonly repository: IncidentsRepository,
    private readonly relay: OutboxRelay,
  ) {}

  /** Stores a new incident and, in the same transaction, its `incident.created` event. */
  async create(user: AccessClaims, request: CreateIncidentRequest): Promise<Incident> {
    const [lon, lat] = request.location.coordinates;
    const row = await this.repository.insertWithEvent(
      {
        id: uuidv7(),
        agencyId: user.agencyId,
        type: request.type,
        priority: request.priority,
        lon,
        lat,
        address: request.address,
        description: request.description,
        createdBy: user.sub,
      },
      (inserted) =>
        createEnvelope({
          type: EventTypes.IncidentCreated,
          agencyId: user.agencyId,
          actor: { kind: 'user', id: user.sub, roles: user.roles },
          traceparent: currentTraceparent(),
          data: toIncidentCreatedV1(toIncident(inserted)),
        }),
    );
    this.relay.nudge();
    return toIncident(row);
  }

  async get(user: AccessClaims, id: string): Promise<Incident> {
    const row = await this.repository.findById(user.agencyId, id);
    if (!row) {
      throw IncidentException.notFound(id);
    }
    return toIncident(row);
  }
}
