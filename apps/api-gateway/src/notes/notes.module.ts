import { Module } from '@nestjs/common';
import { IncidentsModule } from '../incidents/incidents.module';
import { TimelineModule } from '../timeline/timeline.module';
import { UnitsModule } from '../units/units.module';
import { NotesController } from './notes.controller';
import { NotesRepository } from './notes.repository';
import { NotesService } from './notes.service';

/** Append-only incident and unit notes. */
@Module({
  imports: [TimelineModule, IncidentsModule, UnitsModule],
  controllers: [NotesController],
  providers: [NotesService, NotesRepository],
})
export class NotesModule {}
