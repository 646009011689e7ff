import { Module } from '@nestjs/common';
import { BusClient } from '@gad/bus';
import { GeofencesModule } from '../geofences/geofences.module';
import { RetentionModule } from '../retention/retention.module';
import { IngestBatcher } from './ingest-batcher.service';
import { PositionsHandler } from './positions.handler';
import { PositionsRepository } from './positions.repository';
import { PositionsService } from './positions.service';
import { BusUnitMovedSink, UnitMovedService, UnitMovedSink } from './unit-moved.service';

@Module({
  imports: [GeofencesModule, RetentionModule],
  controllers: [PositionsHandler],
  providers: [
    PositionsRepository,
    PositionsService,
    IngestBatcher,
    UnitMovedService,
    {
      provide: UnitMovedSink,
      inject: [BusClient],
      useFactory: (bus: BusClient) => new BusUnitMovedSink(bus),
    },
  ],
})
export class PositionsModule {}
