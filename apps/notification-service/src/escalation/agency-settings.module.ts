import { Module } from '@nestjs/common';
import { AgencySettingsHandler } from './agency-settings.handler';
import { AgencySettingsRepository } from './agency-settings.repository';
import { AgencySettingsCache } from './agency-settings.service';

/**
 * The agency settings notification-service follows (escalation ladders, allowed webhook hosts):
 * import it and inject {@link AgencySettingsCache}.
 */
@Module({
  controllers: [AgencySettingsHandler],
  providers: [AgencySettingsRepository, AgencySettingsCache],
  exports: [AgencySettingsCache],
})
export class AgencySettingsModule {}
