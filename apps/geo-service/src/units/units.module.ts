import { Module } from '@nestjs/common';
import { UnitsHandler } from './units.handler';
import { UnitsRepository } from './units.repository';
import { UnitsService } from './units.service';

@Module({
  controllers: [UnitsHandler],
  providers: [UnitsRepository, UnitsService],
})
export class UnitsModule {}
