import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { OnEvent, type EventEnvelope } from '@gad/bus';
import { EventTypes } from '@gad/contracts';
import { RetentionService } from './retention.service';

/**
 * `agency.settings_changed` on `gad:dispatch:events`: the agency's position history retention
 * (`retentionDays`, `null` = `POSITION_RETENTION_DAYS`). Events of one agency keep their order.
 */
@Controller()
export class AgencySettingsHandler {
  constructor(private readonly retention: RetentionService) {}

  @OnEvent(EventTypes.AgencySettingsChanged, { orderKey: (event) => `agency:${event.agencyId}` })
  onSettingsChanged(@Payload() event: EventEnvelope<'agency.settings_changed'>): Promise<void> {
    return this.retention.followAgencySettings(event.agencyId, event.data.settings.retentionDays);
  }
}
