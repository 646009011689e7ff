import { Module } from '@nestjs/common';
import { IncidentTypesController } from './incident-types.controller';
import { IncidentTypesRepository } from './incident-types.repository';
import { IncidentTypesService } from './incident-types.service';

/** The agency's incident type catalogue and response plans. */
@Module({
  controllers: [IncidentTypesController],
  providers: [IncidentTypesService, IncidentTypesRepository],
  exports: [IncidentTypesService],
})
export class IncidentTypesModule {}
