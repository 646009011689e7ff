import { Module } from '@nestjs/common';
import { Database } from '@gad/platform';
import { NearestRepository } from '@gad/geo-read';
import { NearestHandler } from './nearest.handler';
import { NearestService } from './nearest.service';

@Module({
  controllers: [NearestHandler],
  providers: [
    {
      provide: NearestRepository,
      inject: [Database],
      useFactory: (database: Database) => new NearestRepository(database),
    },
    NearestService,
  ],
})
export class NearestModule {}
