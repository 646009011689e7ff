import { Module } from '@nestjs/common';
import { DispatchEventsHandler } from './dispatch-events/dispatch-events.handler';
import { DispatchEventsService } from './dispatch-events/dispatch-events.service';

@Module({
  controllers: [DispatchEventsHandler],
  providers: [DispatchEventsService],
})
export class AppModule {}
