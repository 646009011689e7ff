import type { IncidentStatus } from '@gad/contracts';
import { DomainException } from '@gad/platform';
import { INCIDENT_TRANSITIONS } from './incident-status.constants';

export enum IncidentErrorCode {
  NotFound = 'incident_not_found',
  TransitionInvalid = 'incident_status_transition_invalid',
  VersionMismatch = 'incident_version_mismatch',
  PreconditionRequired = 'precondition_required',
  InvalidCursor = 'invalid_cursor',
  NotAssignable = 'incident_not_assignable',
  DispositionRequired = 'disposition_required',
  DispositionUnknown = 'disposition_unknown',
  NotOpen = 'incident_not_open',
  SameIncident = 'incident_same',
}

export class IncidentException extends DomainException {
  static notFound(id: string): IncidentException {
    return new IncidentException(IncidentErrorCode.NotFound, 404, `Incident ${id} does not exist`);
  }

  static transitionInvalid(from: IncidentStatus, to: IncidentStatus): IncidentException {
    return new IncidentException(
      IncidentErrorCode.TransitionInvalid,
      409,
      `An incident cannot go from ${from} to ${to}`,
      {
        extensions: {
          currentStatus: from,
          requestedStatus: to,
          allowed: [...INCIDENT_TRANSITIONS[from]],
        },
      },
    );
  }

  static versionMismatch(id: string, currentVersion: number): IncidentException {
    return new IncidentException(
      IncidentErrorCode.VersionMismatch,
      412,
      `Incident ${id} changed since you read it; fetch it again`,
      { extensions: { currentVersion, currentEtag: `"${currentVersion}"` } },
    );
  }

  static preconditionRequired(): IncidentException {
    return new IncidentException(
      IncidentErrorCode.PreconditionRequired,
      428,
      'Send If-Match with the ETag of the incident you are changing',
    );
  }

  static invalidCursor(): IncidentException {
    return new IncidentException(IncidentErrorCode.InvalidCursor, 400, 'The cursor is not valid');
  }

  static notAssignable(id: string, status: IncidentStatus): IncidentException {
    return new IncidentException(
      IncidentErrorCode.NotAssignable,
      409,
      `Incident ${id} is ${status}: units can no longer be assigned`,
      { extensions: { currentStatus: status } },
    );
  }

  static dispositionRequired(allowed: readonly string[]): IncidentException {
    return new IncidentException(
      IncidentErrorCode.DispositionRequired,
      422,
      'Closing an incident needs a disposition code of the agency’s list',
      { extensions: { allowed: [...allowed] } },
    );
  }

  static dispositionUnknown(code: string, allowed: readonly string[]): IncidentException {
    return new IncidentException(
      IncidentErrorCode.DispositionUnknown,
      422,
      `Disposition ${code} is not in the agency’s list`,
      { extensions: { allowed: [...allowed] } },
    );
  }

  /** Closed, cancelled or merged: calls, merges and splits need an open incident. */
  static notOpen(id: string, status: IncidentStatus): IncidentException {
    return new IncidentException(
      IncidentErrorCode.NotOpen,
      409,
      `Incident ${id} is ${status}: it takes no more calls or links`,
      { extensions: { currentStatus: status } },
    );
  }

  static sameIncident(id: string): IncidentException {
    return new IncidentException(
      IncidentErrorCode.SameIncident,
      409,
      `Incident ${id} cannot be merged into itself`,
    );
  }
}
