import { Module } from '@nestjs/common';
import { IdentityModule } from '../identity/identity.module';
import { AgencySettingsReader } from './agency-settings.reader';

/** {@link AgencySettingsReader} for the modules that follow an agency's settings. */
@Module({
  imports: [IdentityModule],
  providers: [AgencySettingsReader],
  exports: [AgencySettingsReader],
})
export class AgencySettingsReaderModule {}
