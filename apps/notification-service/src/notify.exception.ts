import { CommonErrorCode } from '@gad/contracts';
import { DomainException } from '@gad/platform';

export const NotifyExceptionCode = {
  ValidationFailed: 'validation_failed',
  Forbidden: CommonErrorCode.Forbidden,
} as const;
export type NotifyExceptionCodeValue =
  (typeof NotifyExceptionCode)[keyof typeof NotifyExceptionCode];

/** Errors of notification-service's RPCs (the code travels in the bus error reply). */
export class NotifyException extends DomainException {
  constructor(code: NotifyExceptionCodeValue, status: number, detail: string) {
    super(code, status, detail);
  }
}
