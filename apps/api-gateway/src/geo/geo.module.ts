import { Module } from '@nestjs/common';
import { GeofencesController } from './geofences.controller';
import { UnitsController } from './units.controller';

@Module({ controllers: [UnitsController, GeofencesController] })
export class GeoModule {}
