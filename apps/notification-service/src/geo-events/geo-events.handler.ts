import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { EventTypes, type Envelope } from '@gad/contracts';
import { NoticesService, type GeofenceFacts } from '../notices/notices.service';
import { validated } from '../intake/event-data';

/** `gad:geo:events`: geofence alerts to the agency's dispatchers. */
@Controller()
export class GeoEventsHandler {
  constructor(private readonly notices: NoticesService) {}

  @EventPattern(EventTypes.GeofenceEntered)
  onEntered(@Payload() envelope: Envelope): Promise<void> {
    return this.notices.onGeofence(validated<GeofenceFacts>(envelope), 'entered');
  }

  @EventPattern(EventTypes.GeofenceExited)
  onExited(@Payload() envelope: Envelope): Promise<void> {
    return this.notices.onGeofence(validated<GeofenceFacts>(envelope), 'exited');
  }

  @EventPattern(EventTypes.GeofenceDwell)
  onDwell(@Payload() envelope: Envelope): Promise<void> {
    return this.notices.onGeofence(validated<GeofenceFacts>(envelope), 'dwell');
  }
}
