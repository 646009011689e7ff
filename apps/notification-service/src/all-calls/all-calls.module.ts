import { Module } from '@nestjs/common';
import { QueuesModule } from '../queues/queues.module';
import { RecipientsModule } from '../recipients/recipients.module';
import { AllCallEscalationProcessor } from './all-call-escalation.processor';
import { AllCallEscalationService } from './all-call-escalation.service';
import { AllCallsHandler } from './all-calls.handler';
import { AllCallsRepository } from './all-calls.repository';
import { AllCallsService } from './all-calls.service';

/**
 * All-calls: one command per on-duty unit, tracked per unit and escalated like dispatch commands.
 */
@Module({
  imports: [QueuesModule, RecipientsModule],
  controllers: [AllCallsHandler],
  providers: [
    AllCallsRepository,
    AllCallsService,
    AllCallEscalationService,
    AllCallEscalationProcessor,
  ],
  exports: [AllCallsService],
})
export class AllCallsModule {}
