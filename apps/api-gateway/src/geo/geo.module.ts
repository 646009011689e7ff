import { Module } from '@nestjs/common';
import { UnitsModule } from '../units/units.module';
import { GeofencesController } from './geofences.controller';
import { UnitTracksService } from './unit-tracks.service';
import { UnitsController } from './units.controller';

@Module({
  imports: [UnitsModule],
  controllers: [UnitsController, GeofencesController],
  providers: [UnitTracksService],
})
export class GeoModule {}
