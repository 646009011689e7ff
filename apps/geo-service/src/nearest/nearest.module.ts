import { Module } from '@nestjs/common';
import { NearestHandler } from './nearest.handler';
import { NearestRepository } from './nearest.repository';
import { NearestService } from './nearest.service';

@Module({
  controllers: [NearestHandler],
  providers: [NearestRepository, NearestService],
})
export class NearestModule {}
