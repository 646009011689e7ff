import { Module } from '@nestjs/common';
import { IncidentsModule } from '../incidents/incidents.module';
import { HazardsController } from './hazards.controller';
import { HazardsRepository } from './hazards.repository';
import { HazardsService } from './hazards.service';

/** Premise and hazard information: CRUD, the hazards at a point, with recommendations and commands. */
@Module({
  imports: [IncidentsModule],
  controllers: [HazardsController],
  providers: [HazardsService, HazardsRepository],
  exports: [HazardsService],
})
export class HazardsModule {}
