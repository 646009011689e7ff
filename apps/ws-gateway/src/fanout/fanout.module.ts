import { Module } from '@nestjs/common';
import { OwnershipModule } from '../ownership/ownership.module';
import { RealtimeModule } from '../realtime/realtime.module';
import { ConsoleFeedRepository } from './console-feed.repository';
import { ConsoleFeedService } from './console-feed.service';
import { FanoutHandler } from './fanout.handler';
import { FanoutService } from './fanout.service';
import { PositionCoalescer } from './position-coalescer';

/**
 * Stream events to the rooms of `/dispatch` (positions coalesced per agency), and the agency's
 * console feed consoles catch up from.
 */
@Module({
  imports: [RealtimeModule, OwnershipModule],
  controllers: [FanoutHandler],
  providers: [FanoutService, PositionCoalescer, ConsoleFeedRepository, ConsoleFeedService],
  exports: [FanoutService, ConsoleFeedService],
})
export class FanoutModule {}
