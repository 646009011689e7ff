import { Injectable } from '@nestjs/common';
import { describeChange } from '@gad/audit';
import { UnitOfWork } from '@gad/bus';
import type {
  AccessClaims,
  CreateIncidentTypeRequest,
  IncidentPriority,
  IncidentType,
  IncidentTypeList,
  UpdateIncidentTypeRequest,
} from '@gad/contracts';
import { IncidentTypeException } from './incident-types.exception';
import { toIncidentType } from './incident-types.mapper';
import { IncidentTypesRepository, type IncidentTypeRow } from './incident-types.repository';

/** The agency's incident type catalogue: names, default priority and response plan. */
@Injectable()
export class IncidentTypesService {
  constructor(
    private readonly repository: IncidentTypesRepository,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  async list(user: AccessClaims): Promise<IncidentTypeList> {
    return { items: (await this.repository.list(user.agencyId)).map(toIncidentType) };
  }

  async get(user: AccessClaims, code: string): Promise<IncidentType> {
    const row = await this.repository.find(user.agencyId, code);
    if (!row) {
      throw IncidentTypeException.notFound(code);
    }
    return toIncidentType(row);
  }

  async create(user: AccessClaims, request: CreateIncidentTypeRequest): Promise<IncidentType> {
    // A configuration change: its audit entry commits with it (docs/adr/0021).
    const row = await this.unitOfWork.run((tx) =>
      this.repository.insert(
        user.agencyId,
        request.code,
        {
          nameEs: request.nameEs,
          nameEn: request.nameEn,
          defaultPriority: request.defaultPriority,
          plan: request.plan,
        },
        tx.client,
      ),
    );
    if (!row) {
      throw IncidentTypeException.exists(request.code);
    }
    return toIncidentType(row);
  }

  async update(
    user: AccessClaims,
    code: string,
    request: UpdateIncidentTypeRequest,
  ): Promise<IncidentType> {
    const row = await this.unitOfWork.run(async (tx) => {
      const before = await this.repository.find(user.agencyId, code, tx.client);
      const after = await this.repository.update(user.agencyId, code, request, tx.client);
      if (before && after) {
        describeChange({ before: toIncidentType(before), after: toIncidentType(after) }, code);
      }
      return after;
    });
    if (!row) {
      throw IncidentTypeException.notFound(code);
    }
    return toIncidentType(row);
  }

  /** The active catalogue entry of an incident type, if it is one. */
  findActive(agencyId: string, type: string): Promise<IncidentTypeRow | undefined> {
    return this.repository.findActive(agencyId, type);
  }

  /** The priority of a new incident: the one given, else its type's default (422 without one). */
  async priorityFor(
    agencyId: string,
    type: string,
    given: IncidentPriority | undefined,
  ): Promise<IncidentPriority> {
    if (given) {
      return given;
    }
    const known = await this.repository.findActive(agencyId, type);
    if (!known) {
      throw IncidentTypeException.priorityRequired(type);
    }
    return known.default_priority;
  }
}
