import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { IdentityModule } from '../identity/identity.module';
import { AgenciesService } from './agencies.service';
import { AgencySettingsController } from './agency-settings.controller';
import { PlatformController } from './platform.controller';
import { PlatformOperatorsService } from './platform-operators.service';

/**
 * Agencies as a capability: platform operators (`/v1/platform/*`: create, suspend, reactivate,
 * configure, first admin) and the agency's settings (`/v1/agency/settings`). See
 * docs/adr/0018-platform-operators-and-agency-data.md.
 */
@Module({
  imports: [IdentityModule, AuthModule],
  controllers: [PlatformController, AgencySettingsController],
  providers: [AgenciesService, PlatformOperatorsService],
  exports: [AgenciesService],
})
export class AgenciesModule {}
