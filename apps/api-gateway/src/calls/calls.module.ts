import { Module } from '@nestjs/common';
import { AgencySettingsReaderModule } from '../agencies/agency-settings-reader.module';
import { IncidentsModule } from '../incidents/incidents.module';
import { TimelineModule } from '../timeline/timeline.module';
import { CallsController } from './calls.controller';
import { CallsRepository } from './calls.repository';
import { CallsService } from './calls.service';

/** Call intake: calls before or without an incident, linked to new or existing incidents. */
@Module({
  imports: [TimelineModule, IncidentsModule, AgencySettingsReaderModule],
  controllers: [CallsController],
  providers: [CallsService, CallsRepository],
  exports: [CallsService],
})
export class CallsModule {}
