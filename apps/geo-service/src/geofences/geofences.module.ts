import { Module } from '@nestjs/common';
import { OutboxModule } from '../outbox/outbox.module';
import { GeofenceDwellService } from './geofence-dwell.service';
import { GeofencesHandler } from './geofences.handler';
import { GeofencesRepository } from './geofences.repository';
import { GeofencesService } from './geofences.service';

@Module({
  imports: [OutboxModule],
  controllers: [GeofencesHandler],
  providers: [GeofencesRepository, GeofencesService, GeofenceDwellService],
  exports: [GeofencesRepository],
})
export class GeofencesModule {}
