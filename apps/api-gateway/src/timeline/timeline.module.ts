import { Module } from '@nestjs/common';
import { DispatchTransactions } from './dispatch-transactions.service';
import { ResponseTimesRepository } from '../reports/response-times.repository';
import { TimelineRepository } from './timeline.repository';

/** The incident timeline and the dispatch unit of work (change + timeline + outbox). */
@Module({
  providers: [DispatchTransactions, TimelineRepository, ResponseTimesRepository],
  exports: [DispatchTransactions, TimelineRepository, ResponseTimesRepository],
})
export class TimelineModule {}
