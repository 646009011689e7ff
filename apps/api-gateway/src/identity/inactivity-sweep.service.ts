import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { AuditRecorder } from '@gad/audit';
import { createEnvelope, EventTypes, Streams } from '@gad/contracts';
import { createLogger } from '@gad/observability';
import { OutboxRelay, UnitOfWork } from '@gad/bus';
import { API_GATEWAY_CONFIG, type ApiGatewayConfig } from '../api-gateway.config';
import { IDENTITY_CLOCK, type Clock } from './identity.constants';
import { SessionsRepository } from './sessions.repository';
import { UsersRepository } from './users.repository';

const SWEEP_INTERVAL_MS = 3600 * 1000;

/**
 * Disables accounts unused for `AUTH_INACTIVE_DISABLE_DAYS` (no login or refresh), hourly and at
 * boot; login applies the same rule at once. Their sessions end with `user.sessions_revoked`.
 */
@Injectable()
export class InactivitySweep implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = createLogger('inactivity-sweep');
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly users: UsersRepository,
    private readonly sessions: SessionsRepository,
    private readonly unitOfWork: UnitOfWork,
    private readonly relay: OutboxRelay,
    private readonly audit: AuditRecorder,
    @Inject(IDENTITY_CLOCK) private readonly clock: Clock,
    @Inject(API_GATEWAY_CONFIG) private readonly config: ApiGatewayConfig,
  ) {}

  onApplicationBootstrap(): void {
    const run = (): void => {
      this.sweep().catch((error: unknown) =>
        this.logger.warn({ err: error }, 'inactivity sweep failed'),
      );
    };
    run();
    this.timer = setInterval(run, SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async sweep(): Promise<number> {
    const now = this.clock.now();
    const cutoff = new Date(now.getTime() - this.config.AUTH_INACTIVE_DISABLE_DAYS * 86_400_000);
    const disabled = await this.unitOfWork.run(async (tx) => {
      const users = await this.users.disableInactive(tx.client, cutoff, now);
      for (const user of users) {
        await this.sessions.revokeOfUser(tx.client, user.agency_id, user.id, 'disabled', now);
      }
      tx.emit(
        Streams.DispatchEvents,
        users.map((user) =>
          createEnvelope({
            type: EventTypes.UserSessionsRevoked,
            agencyId: user.agency_id,
            actor: { kind: 'service', id: 'api-gateway' },
            data: { userId: user.id, reason: 'disabled', revokedAt: now.toISOString() },
            occurredAt: now,
          }),
        ),
      );
      return users;
    });
    for (const user of disabled) {
      this.audit.record({
        agencyId: user.agency_id,
        actor: { kind: 'service', id: 'api-gateway' },
        action: 'user.disable',
        outcome: 'success',
        object: { type: 'user', id: user.id },
        reason: `unused for ${this.config.AUTH_INACTIVE_DISABLE_DAYS} days`,
      });
    }
    if (disabled.length > 0) {
      this.relay.nudge();
      this.logger.info({ count: disabled.length }, 'inactive accounts disabled');
    }
    return disabled.length;
  }
}
