import { Module } from '@nestjs/common';
import { GeofencesHandler } from './geofences.handler';
import { GeofencesRepository } from './geofences.repository';
import { GeofencesService } from './geofences.service';

@Module({
  controllers: [GeofencesHandler],
  providers: [GeofencesRepository, GeofencesService],
  exports: [GeofencesRepository],
})
export class GeofencesModule {}
