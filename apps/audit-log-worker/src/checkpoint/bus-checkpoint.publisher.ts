import { Injectable } from '@nestjs/common';
import { BusClient } from '@gad/bus';
import {
  AUDIT_EVENTS_STREAM,
  EventTypes,
  createEnvelope,
  type AuditCheckpointV1,
} from '@gad/contracts';
import type { CheckpointPublisher } from './checkpoint.publisher';

/** Publishes `audit.checkpoint` v1 envelopes on `gad:audit:events` through the bus. */
@Injectable()
export class BusCheckpointPublisher implements CheckpointPublisher {
  constructor(private readonly bus: BusClient) {}

  async publish(checkpoints: readonly AuditCheckpointV1[]): Promise<void> {
    await this.bus.publish(
      AUDIT_EVENTS_STREAM,
      checkpoints.map((checkpoint) =>
        createEnvelope({
          type: EventTypes.AuditCheckpoint,
          agencyId: checkpoint.agencyId,
          actor: { kind: 'service', id: 'audit-log-worker' },
          data: checkpoint,
        }),
      ),
    );
  }
}
