import { Module } from '@nestjs/common';
import { RetentionRepository } from './retention.repository';
import { RetentionService } from './retention.service';

/** Monthly partitions ahead of time; purge of expired, checkpointed partitions. */
@Module({ providers: [RetentionRepository, RetentionService] })
export class RetentionModule {}
