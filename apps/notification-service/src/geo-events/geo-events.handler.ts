import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { OnEvent, type EventEnvelope } from '@gad/bus';
import { EventTypes } from '@gad/contracts';
import { NoticesService } from '../notices/notices.service';

/** `gad:geo:events`: geofence alerts to the agency's dispatchers. */
@Controller()
export class GeoEventsHandler {
  constructor(private readonly notices: NoticesService) {}

  @OnEvent(EventTypes.GeofenceEntered)
  onEntered(@Payload() event: EventEnvelope<'geofence.entered'>): Promise<void> {
    return this.notices.onGeofence(event, 'entered');
  }

  @OnEvent(EventTypes.GeofenceExited)
  onExited(@Payload() event: EventEnvelope<'geofence.exited'>): Promise<void> {
    return this.notices.onGeofence(event, 'exited');
  }

  @OnEvent(EventTypes.GeofenceDwell)
  onDwell(@Payload() event: EventEnvelope<'geofence.dwell'>): Promise<void> {
    return this.notices.onGeofence(event, 'dwell');
  }
}
