import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { SocketErrorCodes, type ServerNotice, type SocketError } from '@gad/contracts';
import { createLogger } from '@gad/observability';
import { JwtVerifier } from '@gad/platform';
import { randomBytes } from 'node:crypto';
import type { Namespace, Socket } from 'socket.io';
import { instanceIdOf, WS_GATEWAY_CONFIG, type WsGatewayConfig } from '../ws-gateway.config';
import { NamespacesRegistry } from './namespaces.registry';
import { SocketAuditService } from './socket-audit.service';
import { authenticateHandshake, type AuthedSocket, type NamespacePolicy } from './socket-auth';
import { socketMember, SocketQuotaRepository, type SocketLease } from './socket-quota.repository';
import { TokenBucket } from './token-bucket';
import { WsException } from './ws.exception';
import { wsInstruments } from './ws.metrics';

/** An instance counts as alive this many heartbeat periods after its last heartbeat. */
const INSTANCE_LEASE_PERIODS = 3;
/**
 * Dead instances stay in the registry this long, so claims keep dropping their sockets' entries.
 * Longer than any socket can live: a socket is disconnected when its access token expires, and
 * the api-gateway issues access tokens for at most an hour.
 */
const FORGET_DEAD_INSTANCES_MS = 2 * 3_600_000;
/** Send buffers are checked this often. */
const SWEEP_MS = 2_000;
/** setTimeout's largest delay. */
const MAX_TIMER_MS = 2_147_483_647;

/** Loosely typed socket for the few emits every namespace shares (`error`, `notice`). */
type AnySocket = Socket;

/**
 * Everything a socket goes through whatever its namespace: handshake authentication and the
 * per-user quota, token expiry, the per-socket rate limit and send buffer cap, and draining on
 * shutdown. The quota counts a user's sockets on every live instance; this instance heartbeats so
 * the others know its sockets are still open, and learns which instances died.
 */
@Injectable()
export class ConnectionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = createLogger('connections');
  private readonly metrics = wsInstruments();
  private draining = false;
  private heartbeatTimer?: NodeJS.Timeout;
  private sweepTimer?: NodeJS.Timeout;
  /**
   * This process in the instance registry and in its sockets' quota entries: the instance id plus
   * a random part, so a restarted instance with the same id is not taken for its dead predecessor.
   */
  readonly incarnation: string;
  /** Instances whose heartbeat expired, as of the last heartbeat. */
  private deadInstances: readonly string[] = [];
  private heartbeating = false;
  private retiring?: Promise<void>;

  constructor(
    @Inject(WS_GATEWAY_CONFIG) private readonly config: WsGatewayConfig,
    @Inject(JwtVerifier) private readonly verifier: JwtVerifier,
    private readonly quota: SocketQuotaRepository,
    private readonly namespaces: NamespacesRegistry,
    private readonly audit: SocketAuditService,
  ) {
    const id = instanceIdOf(config).replaceAll('|', '_');
    this.incarnation = `${id}#${randomBytes(4).toString('hex')}`;
  }

  /** Registers this instance before the first handshake, then heartbeats. */
  async onApplicationBootstrap(): Promise<void> {
    await this.heartbeat();
    this.heartbeatTimer = setInterval(
      () => void this.heartbeat(),
      this.config.WS_INSTANCE_HEARTBEAT_MS,
    ).unref();
    this.sweepTimer = setInterval(() => this.sweepSendBuffers(), SWEEP_MS).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    clearInterval(this.sweepTimer);
    await this.retire();
  }

  /** socket.io namespace middleware: a refusal reaches the client as `connect_error` with a code. */
  middleware(policy: NamespacePolicy) {
    return (socket: Socket, next: (error?: Error) => void): void => {
      // The connect or the refusal is in the audit queue before the client hears of it (ADR 0021).
      this.admit(socket as AuthedSocket, policy).then(
        () => this.audit.connected(socket, policy).then(() => next()),
        async (error: unknown) => {
          const refusal = error instanceof WsException ? error : WsException.unavailable();
          if (!(error instanceof WsException)) {
            this.logger.warn({ err: error }, 'handshake failed');
          }
          this.metrics.rejected.add(1, { namespace: policy.name, code: refusal.code });
          await this.audit.refused(socket, policy, refusal.code, refusal.message);
          next(refusal.toConnectError());
        },
      );
    };
  }

  private async admit(socket: AuthedSocket, policy: NamespacePolicy): Promise<void> {
    if (this.draining) {
      throw WsException.shuttingDown();
    }
    const identity = await authenticateHandshake(socket.handshake.auth, this.verifier, policy);
    const lease: SocketLease = {
      agencyId: identity.user.agencyId,
      userId: identity.user.sub,
      member: socketMember(this.incarnation, policy.name, socket.id),
      expiresAt: identity.expiresAt,
    };
    const max = this.config.WS_MAX_SOCKETS_PER_USER;
    if (!(await this.quota.claim(lease, max, Date.now(), this.deadInstances))) {
      throw WsException.tooManySockets(max);
    }
    socket.data = { ...identity, lease };
    // Verified: the bearer token is not kept for the socket's lifetime (memory, and one copy less).
    socket.handshake.auth = {};
  }

  /** After the handshake: limits, expiry timer and bookkeeping until the socket disconnects. */
  attach(socket: AuthedSocket, policy: NamespacePolicy): void {
    const data = socket.data;
    const now = Date.now();
    data.bucket = new TokenBucket(this.config.WS_RATE_PER_SECOND, this.config.WS_RATE_BURST, now);
    data.expiryTimer = setTimeout(
      () => this.expire(socket),
      Math.min(Math.max(data.expiresAt - now, 0), MAX_TIMER_MS),
    );
    this.metrics.sockets.add(1, { namespace: policy.name });
    socket.once('disconnect', (reason: string) => this.audit.disconnected(socket, policy, reason));
    socket.once('disconnect', () => {
      clearTimeout(data.expiryTimer);
      this.metrics.sockets.add(-1, { namespace: policy.name });
      if (data.lease) {
        this.quota.release(data.lease).catch((error: unknown) => {
          this.logger.warn({ err: error }, 'socket lease release failed (it expires by itself)');
        });
      }
    });
  }

  /**
   * Rate limit of one incoming message: false = drop it (the client got `rate_limited`; after
   * `WS_ABUSE_LIMIT` rejections within the window the socket is disconnected).
   */
  admitMessage(socket: AuthedSocket, policy: NamespacePolicy, event: string): boolean {
    const bucket = socket.data.bucket;
    const now = Date.now();
    this.metrics.messagesIn.add(1, { namespace: policy.name, event });
    if (!bucket || bucket.take(now)) {
      return true;
    }
    this.metrics.rateLimited.add(1, { namespace: policy.name });
    const strikes = bucket.strike(now, this.config.WS_ABUSE_WINDOW_MS);
    if (strikes === 1 || strikes % 20 === 0) {
      this.sendError(socket, WsException.rateLimited().toSocketError(event));
    }
    if (strikes >= this.config.WS_ABUSE_LIMIT) {
      this.logger.warn({ userId: socket.data.user.sub, strikes }, 'socket disconnected for abuse');
      this.notice(socket, {
        code: SocketErrorCodes.RateLimited,
        message: 'disconnected for sustained flooding',
      });
      socket.disconnect(true);
    }
    return false;
  }

  sendError(socket: AuthedSocket, error: SocketError): void {
    this.metrics.rejected.add(1, { namespace: socket.nsp.name, code: error.code });
    (socket as unknown as AnySocket).emit('error', error);
  }

  notice(socket: AuthedSocket, notice: ServerNotice): void {
    (socket as unknown as AnySocket).emit('notice', notice);
  }

  /**
   * Shutdown: refuse new handshakes, tell every local socket to reconnect elsewhere after a random
   * delay, and close the transports once their buffered packets are written (socket.io clients
   * then reconnect through the load balancer by themselves).
   */
  drain(): number {
    if (this.draining) {
      return 0;
    }
    this.draining = true;
    let count = 0;
    for (const namespace of this.namespaces.all()) {
      for (const socket of namespace.sockets.values()) {
        const retryAfterMs = Math.round(Math.random() * this.config.WS_RECONNECT_JITTER_MS);
        socket.emit('notice', {
          code: SocketErrorCodes.ShuttingDown,
          message: 'this gateway instance is shutting down; reconnect',
          retryAfterMs,
        } satisfies ServerNotice);
        socket.conn.close();
        count += 1;
      }
    }
    this.logger.info({ sockets: count }, 'draining sockets');
    // The closed sockets release their entries; retiring also covers releases that never arrive.
    void this.retire();
    return count;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /**
   * Disconnects this namespace's socket only: the engine.io connection may carry the client's
   * socket of the other namespace (one `Manager`), whose token has not expired.
   */
  private expire(socket: AuthedSocket): void {
    if (!socket.connected) {
      return;
    }
    this.notice(socket, {
      code: SocketErrorCodes.TokenExpired,
      message: 'access token expired; refresh it and reconnect',
    });
    socket.disconnect();
  }

  /** Marks this instance alive for three periods and learns which instances died. */
  private async heartbeat(): Promise<void> {
    if (this.heartbeating || this.draining) {
      return;
    }
    this.heartbeating = true;
    try {
      const periodMs = this.config.WS_INSTANCE_HEARTBEAT_MS;
      const dead = await this.quota.heartbeat(
        this.incarnation,
        Date.now(),
        periodMs * INSTANCE_LEASE_PERIODS,
        FORGET_DEAD_INSTANCES_MS,
      );
      if (dead.length !== this.deadInstances.length) {
        this.logger.info({ dead: dead.length }, 'dead gateway instances known');
      }
      this.deadInstances = dead;
    } catch (error) {
      // Claims keep using the last list; other instances count this one dead after three periods.
      this.logger.warn({ err: error }, 'instance heartbeat failed');
    } finally {
      this.heartbeating = false;
    }
  }

  /** Tells the other instances this one stopped: its sockets stop counting at once. */
  private retire(): Promise<void> {
    this.retiring ??= this.quota.retire(this.incarnation, Date.now()).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'instance retirement failed (its heartbeat expires anyway)');
    });
    return this.retiring;
  }

  private sweepSendBuffers(): void {
    const max = this.config.WS_SEND_BUFFER_MAX_PACKETS;
    for (const namespace of this.namespaces.all()) {
      sweepNamespace(namespace, max, (socket) => {
        this.metrics.sendErrors.add(1, { reason: 'send_buffer_full' });
        this.logger.warn({ socketId: socket.id }, 'send buffer full; closing the socket');
        socket.conn.close();
      });
    }
  }
}

/**
 * `forEach`, not `for...of`: the iterator's result object per socket was the idle gateway's largest
 * allocation (about 40 bytes per socket every 2 s, 0.8 of 3.7 MB allocated in 20 s of idleness with
 * 2,000 sockets; tools/bench/analysis/ws.md).
 */
function sweepNamespace(namespace: Namespace, max: number, close: (socket: Socket) => void): void {
  namespace.sockets.forEach((socket) => {
    // engine.io keeps the packets not yet written to the transport in `writeBuffer`.
    const queued = (socket.conn as unknown as { writeBuffer: unknown[] }).writeBuffer.length;
    if (queued > max) {
      close(socket);
    }
  });
}
