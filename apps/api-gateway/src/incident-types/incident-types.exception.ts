import { DomainException } from '@gad/platform';

export enum IncidentTypeErrorCode {
  NotFound = 'incident_type_not_found',
  Exists = 'incident_type_exists',
  PriorityRequired = 'incident_priority_required',
}

export class IncidentTypeException extends DomainException {
  static notFound(code: string): IncidentTypeException {
    return new IncidentTypeException(
      IncidentTypeErrorCode.NotFound,
      404,
      `Incident type ${code} is not in the agency's catalogue`,
    );
  }

  static exists(code: string): IncidentTypeException {
    return new IncidentTypeException(
      IncidentTypeErrorCode.Exists,
      409,
      `Incident type ${code} exists already; change it with PATCH`,
    );
  }

  /** No priority given and the type is not in the catalogue (so it has no default). */
  static priorityRequired(type: string): IncidentTypeException {
    return new IncidentTypeException(
      IncidentTypeErrorCode.PriorityRequired,
      422,
      `Incident type ${type} is not in the agency's catalogue: give a priority`,
    );
  }
}
