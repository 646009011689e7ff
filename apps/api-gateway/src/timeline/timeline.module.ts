import { Module } from '@nestjs/common';
import { DispatchTransactions } from './dispatch-transactions.service';
import { TimelineRepository } from './timeline.repository';

/** The incident timeline and the dispatch unit of work (change + timeline + outbox). */
@Module({
  providers: [DispatchTransactions, TimelineRepository],
  exports: [DispatchTransactions, TimelineRepository],
})
export class TimelineModule {}
