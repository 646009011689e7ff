import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { StreamConsumer } from '@gad/bus';
import { createLogger } from '@gad/observability';
import { WS_GATEWAY_CONFIG, type WsGatewayConfig } from '../ws-gateway.config';
import { SocketQuotaRepository } from './socket-quota.repository';

/**
 * A consumer that is in no instance registry entry (an older naming, or an instance forgotten two
 * hours after it died) counts as dead once it has not read for this long.
 */
const UNREGISTERED_CONSUMER_IDLE_MS = 60_000;

/**
 * Failover of the `ws-gateway` consumer group. Each instance's consumer is named after its
 * incarnation in the instance registry (ADR 0008), so once an instance's heartbeat expires (killed
 * or frozen) the survivors claim the entries it had read and not acknowledged and handle them at
 * once (a command it held reaches its device within seconds, not after the group's 30 s idle
 * reclaim), then delete its consumer from the group, so dead consumers do not pile up across
 * restarts. Entries are claimed only once idle for a moment, so two survivors do not both take one;
 * a command handled twice keeps its seq (the log is idempotent by commandId) and devices drop a
 * seq they already have.
 */
@Injectable()
export class ConsumerFailoverService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = createLogger('consumer-failover');
  private consumer?: Pick<StreamConsumer, 'takeOverDeadConsumers'>;
  private timer?: NodeJS.Timeout;
  private checking = false;
  private failing = false;

  constructor(
    @Inject(WS_GATEWAY_CONFIG) private readonly config: WsGatewayConfig,
    private readonly quota: SocketQuotaRepository,
  ) {}

  /** The event consumer of this instance (set once the bus transport is connected). */
  attach(consumer: Pick<StreamConsumer, 'takeOverDeadConsumers'> | undefined): void {
    this.consumer = consumer;
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.check(), this.config.WS_INSTANCE_HEARTBEAT_MS).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.consumer = undefined;
  }

  /** One pass: take over from every consumer of a dead instance. */
  async check(): Promise<void> {
    const consumer = this.consumer;
    if (!consumer || this.checking) {
      return;
    }
    this.checking = true;
    try {
      const { live, dead } = await this.quota.registry(Date.now());
      const result = await consumer.takeOverDeadConsumers(
        (name, idleMs) =>
          dead.has(name) || (!live.has(name) && idleMs > UNREGISTERED_CONSUMER_IDLE_MS),
      );
      if (result.claimed > 0 || result.deleted.length > 0) {
        this.logger.info(
          { claimed: result.claimed, deleted: result.deleted },
          'took over from dead gateway instances',
        );
      }
      this.failing = false;
    } catch (error) {
      // Redis unavailable: the next pass retries; the group's idle reclaim remains the fallback.
      if (!this.failing) {
        this.failing = true;
        this.logger.warn({ err: error }, 'consumer failover check failed');
      }
    } finally {
      this.checking = false;
    }
  }
}
