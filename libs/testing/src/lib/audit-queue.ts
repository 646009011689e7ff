import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { AUDIT_ENTRIES_JOB, AUDIT_ENTRY_JOB, Queues, type AuditEntry } from '@gad/contracts';

/**
 * Every audit entry on the BullMQ queue `audit` under `queuePrefix` (`auditQueuePrefix(keyPrefix)`),
 * in any state, from jobs of either shape (`audit.entries` and the older one-entry `audit.entry`).
 * For tests and benchmarks that check what a service recorded without running the worker.
 */
export async function queuedAuditEntries(
  connection: Redis,
  queuePrefix: string,
): Promise<AuditEntry[]> {
  const queue = new Queue(Queues.Audit, { connection, prefix: queuePrefix });
  try {
    const jobs = await queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
    return jobs.flatMap((job): AuditEntry[] => {
      if (job.name === AUDIT_ENTRIES_JOB) {
        return (job.data as { entries: AuditEntry[] }).entries;
      }
      return job.name === AUDIT_ENTRY_JOB ? [job.data as AuditEntry] : [];
    });
  } finally {
    await queue.close();
  }
}
