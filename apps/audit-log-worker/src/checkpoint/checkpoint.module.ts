import { Module } from '@nestjs/common';
import { ChainRepository } from '../ingest/chain.repository';
import { BusCheckpointPublisher } from './bus-checkpoint.publisher';
import { CHECKPOINT_PUBLISHER } from './checkpoint.publisher';
import { CheckpointService } from './checkpoint.service';

/** Signed checkpoints (stored, then published as `audit.checkpoint`). */
@Module({
  providers: [
    ChainRepository,
    CheckpointService,
    { provide: CHECKPOINT_PUBLISHER, useClass: BusCheckpointPublisher },
  ],
  exports: [ChainRepository, CheckpointService],
})
export class CheckpointModule {}
