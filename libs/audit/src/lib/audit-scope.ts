import { AsyncLocalStorage } from 'node:async_hooks';

/** What one audited request (or socket command) gathers while its handler runs. */
export interface RequestAuditScope {
  /** Before and after images the handler described ({@link describeChange}). */
  changes?: { before?: unknown; after?: unknown };
  objectId?: string;
  /** Outbox inserts of entries recorded during the request: awaited before it is answered. */
  readonly writes: Set<Promise<void>>;
}

export const requestAuditScope = new AsyncLocalStorage<RequestAuditScope>();

/**
 * Gives the audit entry of the current request (or socket command) the before and after images of
 * its change, e.g. `describeChange({ before: { roles: old }, after: { roles: next } }, userId)` in
 * the service, before its unit of work commits (docs/adr/0021). Without it the entry of a create or
 * update keeps the handler's result as `after`. Outside an audited request it does nothing.
 */
export function describeChange(
  changes: { before?: unknown; after?: unknown },
  objectId?: string,
): void {
  const scope = requestAuditScope.getStore();
  if (scope) {
    scope.changes = changes;
    if (objectId !== undefined) {
      scope.objectId = objectId;
    }
  }
}
