import { Module } from '@nestjs/common';
import { UnitsModule } from '../units/units.module';
import { GeofencesController } from './geofences.controller';
import { PositionsService } from './positions.service';
import { UnitTracksService } from './unit-tracks.service';
import { UnitsController } from './units.controller';

@Module({
  imports: [UnitsModule],
  controllers: [UnitsController, GeofencesController],
  providers: [UnitTracksService, PositionsService],
})
export class GeoModule {}
