import { Module } from '@nestjs/common';
import { AssignmentsModule } from '../assignments/assignments.module';
import { IncidentsModule } from '../incidents/incidents.module';
import { TimelineModule } from '../timeline/timeline.module';
import { ReplayController } from './replay.controller';
import { ReplayService } from './replay.service';

/** `GET /v1/incidents/{id}/replay` and `/replay/frames`: the incident flight recorder. */
@Module({
  imports: [TimelineModule, IncidentsModule, AssignmentsModule],
  controllers: [ReplayController],
  providers: [ReplayService],
})
export class ReplayModule {}
