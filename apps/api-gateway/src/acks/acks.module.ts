import { Module } from '@nestjs/common';
import { AssignmentsModule } from '../assignments/assignments.module';
import { TimelineModule } from '../timeline/timeline.module';
import { AcksHandler } from './acks.handler';
import { AcksRepository } from './acks.repository';
import { AcksService } from './acks.service';

@Module({
  imports: [TimelineModule, AssignmentsModule],
  controllers: [AcksHandler],
  providers: [AcksService, AcksRepository],
})
export class AcksModule {}
