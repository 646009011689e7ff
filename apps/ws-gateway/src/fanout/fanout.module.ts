import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands/commands.module';
import { OwnershipModule } from '../ownership/ownership.module';
import { RealtimeModule } from '../realtime/realtime.module';
import { FanoutHandler } from './fanout.handler';
import { FanoutService } from './fanout.service';
import { PositionCoalescer } from './position-coalescer';

/** Stream events to the rooms of `/dispatch` and `/field` (positions coalesced per agency). */
@Module({
  imports: [RealtimeModule, OwnershipModule, CommandsModule],
  controllers: [FanoutHandler],
  providers: [FanoutService, PositionCoalescer],
  exports: [FanoutService],
})
export class FanoutModule {}
