import { DomainException } from '@gad/platform';

export const AllCallErrorCode = {
  /** No all-call with that id in the caller's agency (the edge answers 404). */
  NotFound: 'all_call_not_found',
} as const;

/** Errors of the all-call RPCs (the code travels in the bus error reply). */
export class AllCallException extends DomainException {
  static notFound(allCallId: string): AllCallException {
    return new AllCallException(AllCallErrorCode.NotFound, 404, `no all-call ${allCallId}`);
  }
}
