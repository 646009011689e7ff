import { AuditErrorCode } from '@gad/contracts';

export type AuditQueryErrorCode = (typeof AuditErrorCode)[keyof typeof AuditErrorCode];

/** A bad `audit.query` / `audit.verify` request; `code` travels back as the typed remote error. */
export class AuditQueryException extends Error {
  readonly status = 400;

  constructor(
    readonly code: AuditQueryErrorCode,
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'AuditQueryException';
  }
}
