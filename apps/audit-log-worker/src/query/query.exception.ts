import { AuditErrorCode } from '@gad/contracts';
import { DomainException } from '@gad/platform';

export type AuditQueryErrorCode = (typeof AuditErrorCode)[keyof typeof AuditErrorCode];

/** A bad `audit.query` / `audit.verify` request; `code` travels back as the typed remote error. */
export class AuditQueryException extends DomainException {
  constructor(code: AuditQueryErrorCode, detail: string) {
    super(code, 400, detail);
  }
}
