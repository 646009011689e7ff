import { AsyncLocalStorage } from 'node:async_hooks';
import type { RpcAudit } from '@gad/contracts';

/** What one audited request (or socket command) gathers while its handler runs. */
export interface RequestAuditScope {
  /** Before and after images the handler described ({@link describeChange}). */
  changes?: { before?: unknown; after?: unknown };
  objectId?: string;
  /** Outbox inserts of entries recorded during the request: awaited before it is answered. */
  readonly writes: Set<Promise<void>>;
  /**
   * A change request's entry for a service to record with the change it makes over RPC (envelope
   * `audit`); undefined once the entry is recorded (docs/adr/0021).
   */
  forward?: () => RpcAudit | undefined;
  /** The serving service recorded the forwarded entry: the request does not record it again. */
  forwarded?: (entryId: string) => void;
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

/**
 * RPC request options that hand the current request's audit entry to the serving service, which
 * records it in the transaction of the change (docs/adr/0021): spread them into `bus.request()`.
 * Empty outside an audited change request (reads, events, jobs) or once its entry is recorded.
 */
export function forwardedAuditOptions(): {
  audit?: RpcAudit;
  onAuditRecorded?: (entryId: string) => void;
} {
  const scope = requestAuditScope.getStore();
  const audit = scope?.forward?.();
  return audit ? { audit, onAuditRecorded: (entryId) => scope?.forwarded?.(entryId) } : {};
}
