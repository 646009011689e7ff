import { Module } from '@nestjs/common';
import { ZonesService } from './zones.service';

/** Named zones: the agency's zone geofence containing an incident's location (docs/adr/0036). */
@Module({
  providers: [ZonesService],
  exports: [ZonesService],
})
export class ZonesModule {}
