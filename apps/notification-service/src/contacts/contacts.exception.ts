import { ContactErrorCode } from '@gad/contracts';
import { DomainException } from '@gad/platform';

export const ContactsExceptionCode = {
  ...ContactErrorCode,
  /** SMTP refused or is not configured: the code could not be sent. */
  EmailNotSent: 'verification_email_failed',
} as const;
export type ContactsExceptionCodeValue =
  (typeof ContactsExceptionCode)[keyof typeof ContactsExceptionCode];

/** Errors of contact set-up (the code travels in the bus error reply). */
export class ContactsException extends DomainException {
  constructor(code: ContactsExceptionCodeValue, status: number, detail: string) {
    super(code, status, detail);
  }
}
