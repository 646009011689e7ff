import type { AssignmentStatus, NearestExclusions } from '@gad/contracts';
import { DomainException } from '@gad/platform';
import { ASSIGNMENT_TRANSITIONS } from './assignment-status.constants';

export enum AssignmentErrorCode {
  NotFound = 'assignment_not_found',
  TransitionInvalid = 'assignment_status_transition_invalid',
  NoUnitAvailable = 'no_unit_available',
}

export class AssignmentException extends DomainException {
  static notFound(id: string): AssignmentException {
    return new AssignmentException(
      AssignmentErrorCode.NotFound,
      404,
      `Assignment ${id} does not exist`,
    );
  }

  static transitionInvalid(from: AssignmentStatus, to: AssignmentStatus): AssignmentException {
    return new AssignmentException(
      AssignmentErrorCode.TransitionInvalid,
      409,
      `An assignment cannot go from ${from} to ${to}`,
      {
        extensions: {
          currentStatus: from,
          requestedStatus: to,
          allowed: [...ASSIGNMENT_TRANSITIONS[from]],
        },
      },
    );
  }

  static noUnitAvailable(excluded: NearestExclusions | undefined): AssignmentException {
    return new AssignmentException(
      AssignmentErrorCode.NoUnitAvailable,
      409,
      'No available unit with a fresh position matches',
      { extensions: excluded ? { excluded } : {} },
    );
  }
}
