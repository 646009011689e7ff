import { Module } from '@nestjs/common';
import { NotifyQueues } from './notify-queues.service';

/** The producer side of the BullMQ queues (escalation ladder, outside-channel deliveries). */
@Module({
  providers: [NotifyQueues],
  exports: [NotifyQueues],
})
export class QueuesModule {}
