import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { OnEvent, type EventEnvelope } from '@gad/bus';
import { EventTypes } from '@gad/contracts';
import { AgencySettingsCache } from './agency-settings.service';

/** `agency.settings_changed` on `gad:dispatch:events`: keep the agency's newest settings. */
@Controller()
export class AgencySettingsHandler {
  constructor(private readonly settings: AgencySettingsCache) {}

  @OnEvent(EventTypes.AgencySettingsChanged, { orderKey: (event) => `agency:${event.agencyId}` })
  onSettingsChanged(@Payload() event: EventEnvelope<'agency.settings_changed'>): Promise<void> {
    return this.settings.apply(
      event.agencyId,
      event.data.version,
      event.data.settings,
      new Date(event.data.changedAt),
    );
  }
}
