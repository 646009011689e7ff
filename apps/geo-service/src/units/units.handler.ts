import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { OnEvent, type EventEnvelope } from '@gad/bus';
import { EventTypes } from '@gad/contracts';
import { UnitsService } from './units.service';

/** Unit status/capability projection from `gad:dispatch:events` (validated by the transport). */
@Controller()
export class UnitsHandler {
  constructor(private readonly units: UnitsService) {}

  @OnEvent(EventTypes.UnitStatusChanged)
  async onStatusChanged(@Payload() event: EventEnvelope<'unit.status_changed'>): Promise<void> {
    await this.units.statusChanged(event);
  }

  @OnEvent(EventTypes.UnitUpdated)
  async onUpdated(@Payload() event: EventEnvelope<'unit.updated'>): Promise<void> {
    await this.units.updated(event);
  }
}
