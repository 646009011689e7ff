import { Module } from '@nestjs/common';
import { GeoClient } from './geo.client';
import { UnitsController } from './units.controller';

@Module({
  controllers: [UnitsController],
  providers: [GeoClient],
  exports: [GeoClient],
})
export class GeoModule {}
