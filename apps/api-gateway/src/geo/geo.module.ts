import { Module } from '@nestjs/common';
import { UnitsModule } from '../units/units.module';
import { GeofencesController } from './geofences.controller';
import { PositionsController } from './positions.controller';
import { PositionsService } from './positions.service';
import { UnitTracksService } from './unit-tracks.service';

@Module({
  imports: [UnitsModule],
  controllers: [PositionsController, GeofencesController],
  providers: [UnitTracksService, PositionsService],
})
export class GeoModule {}
