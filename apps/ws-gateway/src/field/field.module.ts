import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands/commands.module';
import { RealtimeModule } from '../realtime/realtime.module';
import { FieldGateway } from './field.gateway';
import { PositionIntakeService } from './position-intake.service';

/** The `/field` namespace: devices report positions, receive commands and acknowledge them. */
@Module({
  imports: [RealtimeModule, CommandsModule],
  providers: [PositionIntakeService, FieldGateway],
})
export class FieldModule {}
