import { Module } from '@nestjs/common';
import { IncidentTypesModule } from '../incident-types/incident-types.module';
import { TimelineModule } from '../timeline/timeline.module';
import { ZonesModule } from '../zones/zones.module';
import { IncidentsController } from './incidents.controller';
import { IncidentsRepository } from './incidents.repository';
import { IncidentsService } from './incidents.service';

@Module({
  imports: [TimelineModule, IncidentTypesModule, ZonesModule],
  controllers: [IncidentsController],
  providers: [IncidentsService, IncidentsRepository],
  exports: [IncidentsService, IncidentsRepository, IncidentTypesModule],
})
export class IncidentsModule {}
