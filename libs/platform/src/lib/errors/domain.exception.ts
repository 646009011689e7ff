import type { ProblemFieldError } from '@gad/contracts';

export interface DomainExceptionOptions {
  /** Field errors, each located by an RFC 6901 JSON pointer (`/body/name`). */
  errors?: ProblemFieldError[];
  /** Extra problem members, e.g. `{ currentVersion: 3 }`. Must not reuse the standard names. */
  extensions?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * Base of every expected error. Modules extend it with their own code enum
 * (`class IncidentException extends DomainException`); the transport filters map it to
 * problem+json, socket error events and bus error replies. `detail` is shown to clients.
 */
export class DomainException extends Error {
  readonly errors?: ProblemFieldError[];
  readonly extensions?: Record<string, unknown>;

  constructor(
    /** Stable machine-readable code, e.g. `incident_not_found`. */
    readonly code: string,
    /** HTTP status (400-599). */
    readonly status: number,
    /** Human-readable explanation for the client. */
    readonly detail: string,
    options: DomainExceptionOptions = {},
  ) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.errors = options.errors;
    this.extensions = options.extensions;
  }
}
