import type { UnitStatus } from '@gad/contracts';
import { DomainException } from '@gad/platform';
import { UNIT_TRANSITIONS } from './unit-status.constants';

export enum UnitErrorCode {
  NotFound = 'unit_not_found',
  CallSignTaken = 'unit_call_sign_taken',
  TransitionInvalid = 'unit_status_transition_invalid',
  Busy = 'unit_busy',
  NotYourUnit = 'unit_not_crewed_by_caller',
  AssignmentOpen = 'unit_assignment_open',
  DispatchThroughAssignment = 'unit_dispatched_only_by_assignment',
}

export class UnitException extends DomainException {
  static notFound(id: string): UnitException {
    return new UnitException(UnitErrorCode.NotFound, 404, `Unit ${id} does not exist`);
  }

  static callSignTaken(callSign: string): UnitException {
    return new UnitException(
      UnitErrorCode.CallSignTaken,
      409,
      `Another unit of the agency already uses call sign ${callSign}`,
    );
  }

  static transitionInvalid(from: UnitStatus, to: UnitStatus): UnitException {
    return new UnitException(
      UnitErrorCode.TransitionInvalid,
      409,
      `A unit cannot go from ${from} to ${to}`,
      {
        extensions: {
          currentStatus: from,
          requestedStatus: to,
          allowed: [...UNIT_TRANSITIONS[from]],
        },
      },
    );
  }

  static busy(id: string, status: UnitStatus): UnitException {
    return new UnitException(UnitErrorCode.Busy, 409, `Unit ${id} is ${status}`, {
      extensions: { currentStatus: status },
    });
  }

  static assignmentOpen(id: string, assignmentId: string, to: UnitStatus): UnitException {
    return new UnitException(
      UnitErrorCode.AssignmentOpen,
      409,
      `Unit ${id} works assignment ${assignmentId}: clear or decline it before going ${to}`,
      { extensions: { assignmentId } },
    );
  }

  static dispatchThroughAssignment(id: string): UnitException {
    return new UnitException(
      UnitErrorCode.DispatchThroughAssignment,
      409,
      `Unit ${id} is dispatched by assigning it to an incident (POST /v1/incidents/{id}/assignments)`,
    );
  }

  static notYourUnit(id: string): UnitException {
    return new UnitException(
      UnitErrorCode.NotYourUnit,
      403,
      `Officers may only act on the unit they crew (not ${id})`,
    );
  }
}
