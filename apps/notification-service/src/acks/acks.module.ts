import { Module } from '@nestjs/common';
import { AllCallsModule } from '../all-calls/all-calls.module';
import { CommandsModule } from '../commands/commands.module';
import { AcksHandler } from './acks.handler';

/** `gad:field:acks`: device acknowledgements advance commands (and all-calls), stop escalation. */
@Module({
  imports: [CommandsModule, AllCallsModule],
  controllers: [AcksHandler],
})
export class AcksModule {}
