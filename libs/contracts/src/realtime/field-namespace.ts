import { z } from 'zod';
import { text, num } from '../primitives/primitives.schema';
import type { CommandAckRequest } from '../events/command-acknowledged/v1';
import type { DeliveredCommand, Recipient } from '../events/command-issued/v1';
import { MAX_POSITIONS_PER_BATCH, positionFixSchema } from '../http/positions.schema';
import type { PositionFix } from '../http/positions.schema';
import type { ServerNotice, SocketAck, SocketError } from './dispatch-namespace';

/** Most fixes one `position` message may carry (the 16 KB frame limit binds first). */
export const MAX_SOCKET_POSITIONS = 100;

/** `position` on `/field`: one fix or a batch of fixes of the socket's own unit. */
export const fieldPositionMessageSchema = z.union([
  positionFixSchema,
  z.array(positionFixSchema).min(1).max(Math.min(MAX_SOCKET_POSITIONS, MAX_POSITIONS_PER_BATCH)),
]);
export type FieldPositionMessage = z.infer<typeof fieldPositionMessageSchema>;

const seqSchema = num().int().min(0).max(Number.MAX_SAFE_INTEGER);

/**
 * `resume` on `/field`: replay every command after `lastSeq` of the unit's log (0 = from the start
 * of what is retained) and, when given, after `lastUserSeq` of the user's own log. Each recipient
 * (unit, user) has its own gap-free sequence; `command.recipient.kind` says which one a command is in.
 */
export const resumeRequestSchema = z.strictObject({
  lastSeq: seqSchema,
  lastUserSeq: seqSchema.optional(),
});
export type ResumeRequest = z.infer<typeof resumeRequestSchema>;

/** Handshake `auth` of `/field`: the access token and, after a reconnect, the last seq handled. */
export const fieldHandshakeAuthSchema = z.object({
  token: text().min(1),
  lastSeq: seqSchema.optional(),
  lastUserSeq: seqSchema.optional(),
});
export type FieldHandshakeAuth = z.infer<typeof fieldHandshakeAuthSchema>;

/**
 * The command log could not replay from `lastSeq`: older commands were dropped by retention
 * (`retention_exceeded`) or the log restarted (`sequence_reset`). Reload the unit's state over
 * REST and continue from `currentSeq`; commands still retained after `lastSeq` follow as usual.
 */
export interface ResyncNotice {
  /** Whose log: the unit's or the user's. */
  recipient: Recipient;
  reason: 'retention_exceeded' | 'sequence_reset';
  lastSeq: number;
  /** Oldest seq still in the log (0 when the log is empty). */
  oldestSeq: number;
  /** Newest seq assigned so far. */
  currentSeq: number;
}

export interface ResumeResult {
  replayed: number;
  /** Newest seq of the unit's log. */
  currentSeq: number;
  /** Newest seq of the user's log (when `lastUserSeq` was sent). */
  currentUserSeq?: number;
  resync: boolean;
}

export interface PositionResult {
  accepted: number;
}

/** Events the server emits on `/field`. */
export interface FieldServerToClientEvents {
  /** A command for the socket's unit or user, with its per-recipient gap-free `seq`. */
  command: (command: DeliveredCommand) => void;
  resync: (notice: ResyncNotice) => void;
  notice: (notice: ServerNotice) => void;
  error: (error: SocketError) => void;
}

/** Events a device sends on `/field`; the ack callback is optional. */
export interface FieldClientToServerEvents {
  position: (
    fixes: PositionFix | PositionFix[],
    ack?: (result: SocketAck<PositionResult>) => void,
  ) => void;
  'command.ack': (request: CommandAckRequest, ack?: (result: SocketAck) => void) => void;
  resume: (request: ResumeRequest, ack?: (result: SocketAck<ResumeResult>) => void) => void;
}
