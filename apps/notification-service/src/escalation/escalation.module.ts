import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands/commands.module';
import { QueuesModule } from '../queues/queues.module';
import { RecipientsModule } from '../recipients/recipients.module';
import { AgencySettingsModule } from './agency-settings.module';
import { EscalationProcessor } from './escalation.processor';
import { EscalationService } from './escalation.service';

/** The ladder: delayed BullMQ steps that re-send, page supervisors and report silence. */
@Module({
  imports: [CommandsModule, RecipientsModule, QueuesModule, AgencySettingsModule],
  providers: [EscalationService, EscalationProcessor],
})
export class EscalationModule {}
