import { Module } from '@nestjs/common';
import { ZonesService } from './zones.service';

/** Named zones: the agency's zone geofence (geo-service) containing an incident's location. */
@Module({
  providers: [ZonesService],
  exports: [ZonesService],
})
export class ZonesModule {}
