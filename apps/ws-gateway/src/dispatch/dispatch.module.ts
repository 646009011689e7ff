import { Module } from '@nestjs/common';
import { FanoutModule } from '../fanout/fanout.module';
import { OwnershipModule } from '../ownership/ownership.module';
import { RealtimeModule } from '../realtime/realtime.module';
import { DispatchGateway } from './dispatch.gateway';
import { SubscriptionsService } from './subscriptions.service';

/** The `/dispatch` namespace: consoles join agency rooms and subscribe to incidents and zones. */
@Module({
  imports: [RealtimeModule, OwnershipModule, FanoutModule],
  providers: [SubscriptionsService, DispatchGateway],
})
export class DispatchModule {}
