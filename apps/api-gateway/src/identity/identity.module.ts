import { Module } from '@nestjs/common';
import { SessionDenyList } from '../auth/session-deny-list';
import { IdentityBootstrap } from './identity-bootstrap.service';
import { IDENTITY_CLOCK, systemClock } from './identity.constants';
import { AgenciesRepository } from './agencies.repository';
import { InactivitySweep } from './inactivity-sweep.service';
import { PasswordService } from './password.service';
import { PasswordSetupTokensRepository } from './password-setup-tokens.repository';
import { PlatformOperatorsRepository } from './platform-operators.repository';
import { RefreshTokensRepository } from './refresh-tokens.repository';
import { SessionRevocations } from './session-revocations.service';
import { SessionsRepository } from './sessions.repository';
import { LoginThrottle } from './login-throttle.service';
import { MfaController } from './mfa.controller';
import { MfaRepository } from './mfa.repository';
import { MfaService } from './mfa.service';
import { TotpSecrets } from './totp-secrets.service';
import { SessionsController } from './sessions.controller';
import { SessionsService } from './sessions.service';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

/** Agencies, users, credentials, second factors and sessions (the data behind authentication). */
@Module({
  controllers: [UsersController, MfaController, SessionsController],
  providers: [
    { provide: IDENTITY_CLOCK, useValue: systemClock },
    AgenciesRepository,
    UsersRepository,
    SessionsRepository,
    PlatformOperatorsRepository,
    PasswordSetupTokensRepository,
    RefreshTokensRepository,
    PasswordService,
    SessionRevocations,
    SessionDenyList,
    UsersService,
    IdentityBootstrap,
    InactivitySweep,
    MfaRepository,
    MfaService,
    TotpSecrets,
    LoginThrottle,
    SessionsService,
  ],
  exports: [
    IDENTITY_CLOCK,
    AgenciesRepository,
    PlatformOperatorsRepository,
    PasswordSetupTokensRepository,
    UsersRepository,
    SessionsRepository,
    RefreshTokensRepository,
    PasswordService,
    SessionRevocations,
    SessionDenyList,
    IdentityBootstrap,
    MfaService,
    LoginThrottle,
  ],
})
export class IdentityModule {}
