import { Module } from '@nestjs/common';
import { IdentityBootstrap } from './identity-bootstrap.service';
import { IDENTITY_CLOCK, systemClock } from './identity.constants';
import { IdentityRepository } from './identity.repository';
import { InactivitySweep } from './inactivity-sweep.service';
import { PasswordService } from './password.service';
import { SessionRevocations } from './session-revocations.service';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

/** Agencies, users, credentials and sessions (the data behind authentication). */
@Module({
  controllers: [UsersController],
  providers: [
    { provide: IDENTITY_CLOCK, useValue: systemClock },
    IdentityRepository,
    PasswordService,
    SessionRevocations,
    UsersService,
    IdentityBootstrap,
    InactivitySweep,
  ],
  exports: [
    IDENTITY_CLOCK,
    IdentityRepository,
    PasswordService,
    SessionRevocations,
    IdentityBootstrap,
  ],
})
export class IdentityModule {}
