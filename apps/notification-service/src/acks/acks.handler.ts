import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { OnEvent, type EventEnvelope } from '@gad/bus';
import { EventTypes } from '@gad/contracts';
import { AllCallsService } from '../all-calls/all-calls.service';
import { CommandsService } from '../commands/commands.service';

/**
 * `gad:field:acks`: device acknowledgements advance commands and stop escalation, or record an
 * all-call's stage (each service ignores commands that are not its own).
 */
@Controller()
export class AcksHandler {
  constructor(
    private readonly commands: CommandsService,
    private readonly allCalls: AllCallsService,
  ) {}

  /** Acks of one command keep their order (delivered before accepted). */
  @OnEvent(EventTypes.CommandAcknowledged, {
    orderKey: (event) => `command:${event.agencyId}:${event.data.commandId}`,
  })
  async onAcknowledged(@Payload() event: EventEnvelope<'command.acknowledged'>): Promise<void> {
    // ws-gateway names the command's assignment or all-call on the ack (docs/adr/0020): a dispatch
    // command has no all-call and an all-call's command no assignment, so an ack naming one is
    // not looked for (a transaction) among the other's commands. An ack naming neither (a notice,
    // or from an older ws-gateway) is tried on both, as before.
    if (event.data.allCallId === undefined) {
      await this.commands.onAcknowledged(event);
    }
    if (event.data.assignmentId === undefined) {
      await this.allCalls.onAcknowledged(event);
    }
  }
}
