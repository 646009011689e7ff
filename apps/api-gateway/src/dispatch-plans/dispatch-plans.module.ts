import { Module } from '@nestjs/common';
import { AssignmentsModule } from '../assignments/assignments.module';
import { IncidentsModule } from '../incidents/incidents.module';
import { TimelineModule } from '../timeline/timeline.module';
import { UnitsModule } from '../units/units.module';
import { DispatchPlansController } from './dispatch-plans.controller';
import { DispatchPlansService } from './dispatch-plans.service';

/** Response plans: the proposal per incident and "dispatch plan" in one transaction. */
@Module({
  imports: [TimelineModule, IncidentsModule, UnitsModule, AssignmentsModule],
  controllers: [DispatchPlansController],
  providers: [DispatchPlansService],
})
export class DispatchPlansModule {}
