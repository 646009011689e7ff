import { auditLogWorkerEnvSchema, loadConfig } from '@gad/config';
import { z } from 'zod';

// The schema lives in @gad/config (libs/config/src/lib/services), where docker/test reads it too.
export { auditLogWorkerEnvSchema };

export type AuditLogWorkerConfig = z.infer<typeof auditLogWorkerEnvSchema>;

/** Nest injection token of the validated configuration. */
export const AUDIT_LOG_WORKER_CONFIG = Symbol('AUDIT_LOG_WORKER_CONFIG');

export const loadAuditLogWorkerConfig = (): AuditLogWorkerConfig =>
  loadConfig('audit-log-worker', auditLogWorkerEnvSchema);
