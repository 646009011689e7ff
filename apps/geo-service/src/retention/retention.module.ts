import { Module } from '@nestjs/common';
import { AgencySettingsHandler } from './agency-settings.handler';
import { RetentionHandler } from './retention.handler';
import { RetentionRepository } from './retention.repository';
import { RetentionService } from './retention.service';

@Module({
  controllers: [RetentionHandler, AgencySettingsHandler],
  providers: [RetentionRepository, RetentionService],
  exports: [RetentionService],
})
export class RetentionModule {}
