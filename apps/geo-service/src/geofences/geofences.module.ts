import { Module } from '@nestjs/common';
import { GeoOutbox } from './geo-outbox.service';
import { GeofenceDwellService } from './geofence-dwell.service';
import { GeofencesHandler } from './geofences.handler';
import { GeofencesRepository } from './geofences.repository';
import { GeofencesService } from './geofences.service';

@Module({
  controllers: [GeofencesHandler],
  providers: [GeofencesRepository, GeofencesService, GeofenceDwellService, GeoOutbox],
  exports: [GeofencesRepository, GeoOutbox],
})
export class GeofencesModule {}
