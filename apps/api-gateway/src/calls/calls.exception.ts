import { DomainException } from '@gad/platform';

export enum CallErrorCode {
  NotFound = 'call_not_found',
  AlreadyLinked = 'call_already_linked',
  NotOfIncident = 'call_not_of_incident',
  LocationRequired = 'call_location_required',
  TypeRequired = 'call_type_required',
}

export class CallException extends DomainException {
  static notFound(id: string): CallException {
    return new CallException(CallErrorCode.NotFound, 404, `Call ${id} does not exist`);
  }

  static alreadyLinked(id: string, incidentId: string): CallException {
    return new CallException(
      CallErrorCode.AlreadyLinked,
      409,
      `Call ${id} is linked to incident ${incidentId} already`,
      { extensions: { incidentId } },
    );
  }

  static notOfIncident(ids: readonly string[], incidentId: string): CallException {
    return new CallException(
      CallErrorCode.NotOfIncident,
      409,
      `Calls ${ids.join(', ')} are not linked to incident ${incidentId}`,
      { extensions: { callIds: [...ids] } },
    );
  }

  static locationRequired(id: string): CallException {
    return new CallException(
      CallErrorCode.LocationRequired,
      422,
      `Call ${id} has no point: give the incident a location`,
    );
  }

  static typeRequired(id: string): CallException {
    return new CallException(
      CallErrorCode.TypeRequired,
      422,
      `Call ${id} names no incident type: give the incident a type`,
    );
  }
}
