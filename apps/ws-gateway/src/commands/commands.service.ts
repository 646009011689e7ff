import { Inject, Injectable } from '@nestjs/common';
import { BusClient } from '@gad/bus';
import {
  createEnvelope,
  EventTypes,
  parseCommandMessage,
  roomOf,
  Streams,
  type CommandAckRequest,
  type CommandAcknowledgedV1,
  type DeliveredCommand,
  type Envelope,
  type Recipient,
  type ResumeResult,
} from '@gad/contracts';
import { contextFromTraceparent, createLogger, currentTraceparent } from '@gad/observability';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { FanoutService } from '../fanout/fanout.service';
import { NamespacesRegistry } from '../realtime/namespaces.registry';
import type { AuthedSocket } from '../realtime/socket-auth';
import { WsException } from '../realtime/ws.exception';
import { wsInstruments } from '../realtime/ws.metrics';
import { WS_GATEWAY_CONFIG, type WsGatewayConfig } from '../ws-gateway.config';
import { CommandLogRepository, type LogEntry } from './command-log.repository';
import { planReplay } from './replay-plan';

const tracer = trace.getTracer('ws-gateway');

/**
 * Commands to devices (docs/adr/0020). notification-service's relay appends each command to its
 * recipient's durable log (gap-free seq, idempotent by commandId) and publishes it in the same
 * Redis call; every instance gets the message and emits it to its own sockets in the recipient's
 * room ({@link deliver}). A reconnecting device gets what it missed from the log ({@link replay}).
 * A device's ack is checked against the log (only the command's recipient may acknowledge it),
 * published to `gad:field:acks` with the command's assignment, and shown to the agency's consoles
 * from this instance ({@link acknowledge}).
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
    private readonly fanout: FanoutService,
  ) {}

  /**
   * One message of the command channel (`<room>|<seq>|<json>`): emitted to this instance's sockets
   * in the room, if it has any (the other instances got the same message). Messages arrive in
   * log order, so one recipient's commands reach its sockets in seq order.
   */
  deliver(message: string): void {
    const parsed = parseCommandMessage(message);
    if (!parsed) {
      this.logger.warn({ message: message.slice(0, 200) }, 'malformed command message dropped');
      return;
    }
    const field = this.namespaces.field;
    if (!field?.adapter.rooms.has(parsed.room)) {
      return;
    }
    let command: DeliveredCommand;
    try {
      command = { ...(JSON.parse(parsed.json) as DeliveredCommand), seq: parsed.seq };
    } catch (error) {
      this.logger.warn({ err: error, room: parsed.room }, 'malformed command message dropped');
      return;
    }
    field.local.to(parsed.room).emit('command', command);
    this.metrics.messagesOut.add(1, { namespace: 'field', event: 'command' });
    this.metrics.emitLatency.record(Date.now() - Date.parse(command.issuedAt), {
      event: 'command',
    });
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

  /**
   * A device's `command.ack`: refused (`forbidden`) unless the command is in the log of the
   * socket's unit or user, i.e. the device is (a member of) its recipient. Then `command.acknowledged`
   * with the command's assignment, incident and all-call goes to `gad:field:acks` (in the trace
   * the command carried, when the device returned its `traceparent`), and to the agency's
   * consoles from this instance (feed append, then emit; one agency's acks in turn).
   */
  acknowledge(socket: AuthedSocket, request: CommandAckRequest): Promise<void> {
    const { traceparent, ...ack } = request;
    // A span of the dispatcher's trace (the command's traceparent, returned by the device): the
    // envelope takes the active traceparent, so the consumers' spans join that trace too.
    return context.with(contextFromTraceparent(traceparent), () =>
      tracer.startActiveSpan(
        'command.ack',
        {
          kind: SpanKind.SERVER,
          attributes: { 'gad.command_id': ack.commandId, 'gad.ack_stage': ack.stage },
        },
        async (span) => {
          try {
            await this.recordAck(socket, ack);
          } catch (error) {
            span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
            throw error;
          } finally {
            span.end();
          }
        },
      ),
    );
  }

  private async recordAck(
    socket: AuthedSocket,
    ack: Omit<CommandAckRequest, 'traceparent'>,
  ): Promise<void> {
    const { user } = socket.data;
    const entry = await this.findOwnCommand(socket, ack.commandId);
    if (!entry) {
      throw WsException.forbidden(`command ${ack.commandId} was not sent to this device`);
    }
    const { assignmentId, incidentId, payload } = entry.command;
    const allCallId = typeof payload?.['allCallId'] === 'string' ? payload['allCallId'] : undefined;
    const data: CommandAcknowledgedV1 = {
      ...ack,
      userId: user.sub,
      ...(user.unitId ? { unitId: user.unitId } : {}),
      receivedAt: new Date().toISOString(),
      ...(assignmentId ? { assignmentId } : {}),
      ...(incidentId ? { incidentId } : {}),
      ...(allCallId ? { allCallId } : {}),
    };
    const traceparent = currentTraceparent();
    const envelope: Envelope<CommandAcknowledgedV1> = createEnvelope({
      type: EventTypes.CommandAcknowledged,
      agencyId: user.agencyId,
      actor: { kind: 'device', id: user.sub, roles: user.roles },
      data,
      ...(traceparent ? { traceparent } : {}),
    });
    await this.bus.publish(Streams.FieldAcks, envelope);
    // Not awaited: the device's ack is answered once the ack is on the stream.
    this.fanout.commandAcknowledged(envelope);
  }

  /** The command in the log of the socket's unit, else of its user (both read at once). */
  private async findOwnCommand(
    socket: AuthedSocket,
    commandId: string,
  ): Promise<LogEntry | undefined> {
    const { user } = socket.data;
    const [unit, mine] = await Promise.all([
      user.unitId
        ? this.log.find(user.agencyId, { kind: 'unit', id: user.unitId }, commandId)
        : undefined,
      this.log.find(user.agencyId, { kind: 'user', id: user.sub }, commandId),
    ]);
    return unit ?? mine;
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
