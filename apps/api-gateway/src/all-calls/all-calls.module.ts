import { Module } from '@nestjs/common';
import { AllCallsController } from './all-calls.controller';
import { AllCallsService } from './all-calls.service';

/** `POST /v1/all-calls`, `GET /v1/all-calls/{id}` (notification-service owns the all-calls). */
@Module({
  controllers: [AllCallsController],
  providers: [AllCallsService],
})
export class AllCallsModule {}
