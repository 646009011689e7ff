import { Module } from '@nestjs/common';
import { IncidentTypesModule } from '../incident-types/incident-types.module';
import { TimelineModule } from '../timeline/timeline.module';
import { IncidentsController } from './incidents.controller';
import { IncidentsRepository } from './incidents.repository';
import { IncidentsService } from './incidents.service';

@Module({
  imports: [TimelineModule, IncidentTypesModule],
  controllers: [IncidentsController],
  providers: [IncidentsService, IncidentsRepository],
  exports: [IncidentsService, IncidentsRepository, IncidentTypesModule],
})
export class IncidentsModule {}
