import { DomainException } from '@gad/platform';

export enum DispatchPlanErrorCode {
  NoPlan = 'incident_type_has_no_plan',
}

export class DispatchPlanException extends DomainException {
  /** The incident's type is not an active type of the catalogue (or its plan is empty). */
  static noPlan(incidentId: string, type: string): DispatchPlanException {
    return new DispatchPlanException(
      DispatchPlanErrorCode.NoPlan,
      409,
      `Incident ${incidentId} is of type ${type}, which has no response plan in the catalogue`,
      { extensions: { type } },
    );
  }
}
