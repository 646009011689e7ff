import { Module } from '@nestjs/common';
import { AllCallsHandler } from './all-calls.handler';
import { AllCallsRepository } from './all-calls.repository';
import { AllCallsService } from './all-calls.service';

/** All-calls: one command per on-duty unit, tracked per unit like dispatch commands. */
@Module({
  controllers: [AllCallsHandler],
  providers: [AllCallsRepository, AllCallsService],
  exports: [AllCallsService],
})
export class AllCallsModule {}
