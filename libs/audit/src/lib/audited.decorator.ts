import { SetMetadata } from '@nestjs/common';

export interface AuditedOptions {
  /** Action name, e.g. `incident.create` (see `AuditActions` for the covered events). */
  action?: string;
  /** Object type the handler acts on, e.g. `incident`. */
  objectType?: string;
  /** Route/payload parameter holding the object id (default `id`). */
  idParam?: string;
  /** Keep the (redacted) handler result as `changes.after` (default: true for POST/PUT/PATCH). */
  captureResult?: boolean;
  /** Do not audit this handler automatically (it records entries itself). */
  skip?: boolean;
}

export const AUDITED_METADATA = 'gad:audited';

/**
 * Names what a handler does for the audit trail. Mutating HTTP handlers and socket commands are
 * audited by `AuditInterceptor` with or without it; with it the entry carries this action and object
 * type, and a read-only handler (GET) is audited too.
 */
export const Audited = (options: AuditedOptions = {}): MethodDecorator & ClassDecorator =>
  SetMetadata(AUDITED_METADATA, options);
