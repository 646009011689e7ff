import { Module } from '@nestjs/common';
import { AgencySettingsReaderModule } from '../agencies/agency-settings-reader.module';
import { HazardsModule } from '../hazards/hazards.module';
import { IncidentsModule } from '../incidents/incidents.module';
import { TimelineModule } from '../timeline/timeline.module';
import { UnitsModule } from '../units/units.module';
import { AssignmentsController } from './assignments.controller';
import { AssignmentsRepository } from './assignments.repository';
import { AssignmentsService } from './assignments.service';

@Module({
  imports: [TimelineModule, IncidentsModule, UnitsModule, AgencySettingsReaderModule, HazardsModule],
  controllers: [AssignmentsController],
  providers: [AssignmentsService, AssignmentsRepository],
  exports: [AssignmentsService, AssignmentsRepository],
})
export class AssignmentsModule {}
