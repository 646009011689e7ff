import type { AuditCheckpointV1 } from '@gad/contracts';

/**
 * Port: hands signed checkpoints to something outside the database (the `audit.checkpoint` event on
 * stream `gad:audit:events`). Called after the checkpoint is committed.
 */
export interface CheckpointPublisher {
  publish(checkpoints: readonly AuditCheckpointV1[]): Promise<void>;
}

export const CHECKPOINT_PUBLISHER = Symbol('CHECKPOINT_PUBLISHER');
