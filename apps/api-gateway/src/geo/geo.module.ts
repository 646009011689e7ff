import { Module } from '@nestjs/common';
import { AgencySettingsReaderModule } from '../agencies/agency-settings-reader.module';
import { HazardsModule } from '../hazards/hazards.module';
import { UnitsModule } from '../units/units.module';
import { GeofencesController } from './geofences.controller';
import { PositionsController } from './positions.controller';
import { PositionsService } from './positions.service';
import { UnitTracksService } from './unit-tracks.service';

@Module({
  imports: [UnitsModule, AgencySettingsReaderModule, HazardsModule],
  controllers: [PositionsController, GeofencesController],
  providers: [UnitTracksService, PositionsService],
})
export class GeoModule {}
