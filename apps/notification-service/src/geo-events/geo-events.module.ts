import { Module } from '@nestjs/common';
import { NoticesModule } from '../notices/notices.module';
import { GeoEventsHandler } from './geo-events.handler';

/** `gad:geo:events`: geofence alerts become notices. */
@Module({
  imports: [NoticesModule],
  controllers: [GeoEventsHandler],
})
export class GeoEventsModule {}
