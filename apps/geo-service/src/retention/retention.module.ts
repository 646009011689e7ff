import { Module } from '@nestjs/common';
import { RetentionHandler } from './retention.handler';
import { RetentionRepository } from './retention.repository';
import { RetentionService } from './retention.service';

@Module({
  controllers: [RetentionHandler],
  providers: [RetentionRepository, RetentionService],
  exports: [RetentionService],
})
export class RetentionModule {}
