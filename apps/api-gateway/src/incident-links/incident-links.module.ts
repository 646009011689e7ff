import { Module } from '@nestjs/common';
import { AssignmentsModule } from '../assignments/assignments.module';
import { CallsModule } from '../calls/calls.module';
import { IncidentsModule } from '../incidents/incidents.module';
import { TimelineModule } from '../timeline/timeline.module';
import { IncidentLinksController } from './incident-links.controller';
import { IncidentLinksService } from './incident-links.service';

/** Linked incidents: merge a duplicate into its primary, split calls off into a new incident. */
@Module({
  imports: [TimelineModule, IncidentsModule, CallsModule, AssignmentsModule],
  controllers: [IncidentLinksController],
  providers: [IncidentLinksService],
})
export class IncidentLinksModule {}
