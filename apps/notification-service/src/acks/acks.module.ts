import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands/commands.module';
import { AcksHandler } from './acks.handler';

/** `gad:field:acks`: device acknowledgements advance commands and stop escalation. */
@Module({
  imports: [CommandsModule],
  controllers: [AcksHandler],
})
export class AcksModule {}
