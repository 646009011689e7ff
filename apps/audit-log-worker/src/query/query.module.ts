import { Module } from '@nestjs/common';
import { VerifyModule } from '../verify/verify.module';
import { QueryHandler } from './query.handler';
import { QueryRepository } from './query.repository';
import { QueryService } from './query.service';

/** RPCs `audit.query` and `audit.verify`. */
@Module({
  imports: [VerifyModule],
  controllers: [QueryHandler],
  providers: [QueryRepository, QueryService],
})
export class QueryModule {}
