import { Module } from '@nestjs/common';
import { VerifyRepository } from './verify.repository';
import { VerifyService } from './verify.service';

/** Chain and checkpoint verification. */
@Module({ providers: [VerifyRepository, VerifyService], exports: [VerifyService] })
export class VerifyModule {}
