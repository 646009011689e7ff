import { DomainException } from '@gad/platform';

export enum IncidentErrorCode {
  NotFound = 'incident_not_found',
}

export class IncidentException extends DomainException {
  static notFound(id: string): IncidentException {
    return new IncidentException(IncidentErrorCode.NotFound, 404, `Incident ${id} does not exist`);
  }
}
