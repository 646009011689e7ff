import { Inject, Injectable } from '@nestjs/common';
import { BusClient } from '@gad/bus';
import {
  createEnvelope,
  EventTypes,
  roomOf,
  Streams,
  type CommandAckRequest,
  type CommandAcknowledgedV1,
  type CommandIssuedV1,
  type Envelope,
  type Recipient,
  type ResumeResult,
} from '@gad/contracts';
import { createLogger } from '@gad/observability';
import { NamespacesRegistry } from '../realtime/namespaces.registry';
import type { AuthedSocket } from '../realtime/socket-auth';
import { wsInstruments } from '../realtime/ws.metrics';
import { WS_GATEWAY_CONFIG, type WsGatewayConfig } from '../ws-gateway.config';
import { CommandLogRepository } from './command-log.repository';
import { planReplay } from './replay-plan';

/**
 * Commands to devices: appended to the recipient's durable log (gap-free seq, idempotent by
 * commandId) and emitted to the recipient's room on `/field`; replayed after a reconnect from the
 * device's last seq; device acks published to `gad:field:acks`.
 */
@Injectable()
export class CommandsService {
  private readonly logger = createLogger('commands');
  private readonly metrics = wsInstruments();

  constructor(
    @Inject(WS_GATEWAY_CONFIG) private readonly config: WsGatewayConfig,
    private readonly log: CommandLogRepository,
    private readonly namespaces: NamespacesRegistry,
    private readonly bus: BusClient,
  ) {}

  /** Tail of the appends in flight per recipient: one recipient's commands append in stream order. */
  private readonly inFlight = new Map<string, Promise<unknown>>();

  /**
   * `command.issued` from the bus: log it (a retry keeps its first seq), then emit it. Events are
   * handled concurrently; commands of one recipient are chained so seqs follow the stream order.
   */
  issue(envelope: Envelope<CommandIssuedV1>): Promise<number> {
    const key = `${envelope.agencyId}|${recipientRoom(envelope.agencyId, envelope.data.recipient)}`;
    const previous = this.inFlight.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.appendAndEmit(envelope));
    this.inFlight.set(key, next);
    const clear = () => {
      if (this.inFlight.get(key) === next) {
        this.inFlight.delete(key);
      }
    };
    next.then(clear, clear);
    return next;
  }

  private async appendAndEmit(envelope: Envelope<CommandIssuedV1>): Promise<number> {
    const command = envelope.data;
    const { seq, inserted } = await this.log.append(envelope.agencyId, command, Date.now(), {
      maxLen: this.config.WS_COMMAND_LOG_MAX_LEN,
      maxAgeMs: this.config.WS_COMMAND_LOG_MAX_AGE_S * 1000,
    });
    // Emitted again on a retried delivery too: the process may have died between append and emit;
    // devices drop a seq they already handled.
    const room = recipientRoom(envelope.agencyId, command.recipient);
    this.namespaces.field?.to(room).emit('command', { ...command, seq });
    this.metrics.messagesOut.add(1, { namespace: 'field', event: 'command' });
    this.metrics.emitLatency.record(Date.now() - Date.parse(envelope.occurredAt), {
      event: 'command',
    });
    this.logger.info(
      { commandId: command.commandId, seq, room, inserted, eventId: envelope.id },
      'command emitted',
    );
    return seq;
  }

  /**
   * Emits to the socket every command of both its logs (the unit's and the user's) after the seqs
   * it handled, with resync notices where commands are gone. A seq not given counts as 0: the
   * device has none of that log, so it gets the whole retained window (devices drop seqs they have).
   */
  async replay(socket: AuthedSocket, lastSeq = 0, lastUserSeq = 0): Promise<ResumeResult> {
    const { user } = socket.data;
    const unitLog: Recipient = { kind: 'unit', id: user.unitId ?? '' };
    const userLog: Recipient = { kind: 'user', id: user.sub };
    // The counters first: a log whose counter is the device's seq holds nothing after it and has
    // no gap, so its range is not read. That is most (re)connections (a device that handled
    // everything, an empty log): two GETs instead of two MULTI reads per handshake, whose replies
    // and the handshake's longer life were most of the gateway's idle memory per socket (see
    // docs/benchmarks.md, "WebSocket idle memory after the #17 analysis").
    const [unitSeq, userSeq] = await Promise.all([
      this.log.currentSeq(user.agencyId, unitLog),
      this.log.currentSeq(user.agencyId, userLog),
    ]);
    const unit =
      unitSeq === lastSeq ? upToDate(unitSeq) : await this.replayLog(socket, unitLog, lastSeq);
    const mine =
      userSeq === lastUserSeq
        ? upToDate(userSeq)
        : await this.replayLog(socket, userLog, lastUserSeq);
    return {
      replayed: unit.replayed + mine.replayed,
      currentSeq: unit.currentSeq,
      currentUserSeq: mine.currentSeq,
      resync: unit.resync || mine.resync,
    };
  }

  /** A device's `command.ack` → `command.acknowledged` on `gad:field:acks`. */
  async acknowledge(socket: AuthedSocket, request: CommandAckRequest): Promise<void> {
    const { user } = socket.data;
    const data: CommandAcknowledgedV1 = {
      ...request,
      userId: user.sub,
      ...(user.unitId ? { unitId: user.unitId } : {}),
      receivedAt: new Date().toISOString(),
    };
    await this.bus.publish(
      Streams.FieldAcks,
      createEnvelope({
        type: EventTypes.CommandAcknowledged,
        agencyId: user.agencyId,
        actor: { kind: 'device', id: user.sub, roles: user.roles },
        data,
      }),
    );
  }

  private async replayLog(
    socket: AuthedSocket,
    recipient: Recipient,
    lastSeq: number,
  ): Promise<{ replayed: number; currentSeq: number; resync: boolean }> {
    const agencyId = socket.data.user.agencyId;
    const range = await this.log.range(
      agencyId,
      recipient,
      lastSeq,
      this.config.WS_COMMAND_LOG_MAX_LEN,
    );
    const cutoff = Date.now() - this.config.WS_COMMAND_LOG_MAX_AGE_S * 1000;
    const plan = planReplay(recipient, range, lastSeq, cutoff);
    const loose = socket as unknown as { emit(event: string, payload: unknown): void };
    if (plan.resync) {
      loose.emit('resync', plan.resync);
      this.metrics.resyncs.add(1, { reason: plan.resync.reason });
      this.logger.info({ ...plan.resync, socketId: socket.id }, 'resync signalled');
    }
    for (const command of plan.commands) {
      loose.emit('command', command);
    }
    if (plan.commands.length > 0) {
      this.metrics.replayed.add(plan.commands.length);
      this.logger.info(
        { recipient, lastSeq, replayed: plan.commands.length, currentSeq: plan.currentSeq },
        'commands replayed',
      );
    }
    return { replayed: plan.commands.length, currentSeq: plan.currentSeq, resync: !!plan.resync };
  }
}

/** A log with nothing after the device's seq (its counter is that seq). */
function upToDate(currentSeq: number): { replayed: number; currentSeq: number; resync: boolean } {
  return { replayed: 0, currentSeq, resync: false };
}

export function recipientRoom(agencyId: string, recipient: Recipient): string {
  return recipient.kind === 'unit'
    ? roomOf.unit(agencyId, recipient.id)
    : roomOf.user(agencyId, recipient.id);
}
