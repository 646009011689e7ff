import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { BusClient } from '@gad/bus';
import {
  createEnvelope,
  EventTypes,
  MAX_POSITIONS_PER_BATCH,
  Streams,
  type AccessClaims,
  type Envelope,
  type PositionFix,
  type PositionsReportedV1,
} from '@gad/contracts';
import { createLogger } from '@gad/observability';
import { wsInstruments } from '../realtime/ws.metrics';

/** Fixes wait at most this long to share one pipelined XADD round trip with other sockets'. */
const FLUSH_MS = 20;
const FLUSH_AT_FIXES = 1_000;

interface Pending {
  agencyId: string;
  user: AccessClaims;
  fixes: PositionFix[];
  done: { resolve: () => void; reject: (error: unknown) => void };
}

/**
 * Positions from `/field` sockets → `positions.reported` on `gad:geo:positions`. Messages arriving
 * within a few milliseconds are published in one pipelined round trip (one envelope per agency and
 * device user, ≤ 500 fixes each); a message's promise settles when its fixes are on the stream.
 */
@Injectable()
export class PositionIntakeService implements OnApplicationShutdown {
  private readonly logger = createLogger('position-intake');
  private readonly metrics = wsInstruments();
  private pending: Pending[] = [];
  private pendingFixes = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly bus: BusClient) {}

  submit(user: AccessClaims, fixes: PositionFix[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ agencyId: user.agencyId, user, fixes, done: { resolve, reject } });
      this.pendingFixes += fixes.length;
      if (this.pendingFixes >= FLUSH_AT_FIXES) {
        void this.flush();
      } else {
        this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
      }
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flush();
  }

  private async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    this.pendingFixes = 0;
    if (batch.length === 0) {
      return;
    }
    const envelopes: Envelope<PositionsReportedV1>[] = [];
    for (const item of batch) {
      for (let i = 0; i < item.fixes.length; i += MAX_POSITIONS_PER_BATCH) {
        envelopes.push(
          createEnvelope({
            type: EventTypes.PositionsReported,
            agencyId: item.agencyId,
            actor: { kind: 'device', id: item.user.sub, roles: item.user.roles },
            data: { positions: item.fixes.slice(i, i + MAX_POSITIONS_PER_BATCH) },
          }),
        );
      }
    }
    try {
      await this.bus.publish(Streams.GeoPositions, envelopes);
      batch.forEach((item) => item.done.resolve());
    } catch (error) {
      this.metrics.sendErrors.add(1, { reason: 'positions_publish' });
      this.logger.warn({ err: error, envelopes: envelopes.length }, 'positions publish failed');
      batch.forEach((item) => item.done.reject(error));
    }
  }
}
