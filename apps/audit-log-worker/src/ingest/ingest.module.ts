import { Module } from '@nestjs/common';
import { CheckpointModule } from '../checkpoint/checkpoint.module';
import { AuditBatchProcessor } from './audit-batch.processor';
import { IngestService } from './ingest.service';

/** Consumes the `audit` queue in batches into the chains. */
@Module({
  imports: [CheckpointModule],
  providers: [IngestService, AuditBatchProcessor],
})
export class IngestModule {}
