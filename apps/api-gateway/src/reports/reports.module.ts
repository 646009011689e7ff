import { Module } from '@nestjs/common';
import { AgencySettingsReaderModule } from '../agencies/agency-settings-reader.module';
import { IncidentsModule } from '../incidents/incidents.module';
import { TimelineModule } from '../timeline/timeline.module';
import { ReportsController } from './reports.controller';
import { ResponseTimesService } from './response-times.service';

/**
 * Response-time figures (the summary rows are kept by the dispatch unit of work, so
 * `ResponseTimesRepository` comes from the timeline module).
 */
@Module({
  imports: [TimelineModule, IncidentsModule, AgencySettingsReaderModule],
  controllers: [ReportsController],
  providers: [ResponseTimesService],
})
export class ReportsModule {}
