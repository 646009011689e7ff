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

const lastSeqSchema = seqSchema.describe(
  'Newest seq of the unit’s command log the device handled; commands after it are replayed. ' +
    'Not sent = 0: the whole retained log (by default the newest 1,000 commands of the last 24 h).',
);
const lastUserSeqSchema = seqSchema.describe(
  'Newest seq of the user’s own command log the device handled; commands after it are replayed. ' +
    'Not sent = 0: the whole retained log.',
);

/**
 * `resume` on `/field`: replay every command after `lastSeq` of the unit's log and after
 * `lastUserSeq` of the user's own log (a seq not sent, or 0 = from the start of what is retained).
 * Each recipient (unit, user) has its own gap-free sequence; `command.recipient.kind` says which
 * one a command is in. Devices drop seqs they already handled.
 */
export const resumeRequestSchema = z.strictObject({
  lastSeq: lastSeqSchema,
  lastUserSeq: lastUserSeqSchema.optional(),
});
export type ResumeRequest = z.infer<typeof resumeRequestSchema>;

/**
 * Handshake `auth` of `/field` (and `/dispatch`, which reads only the token): the access token and
 * the last seqs handled. On every (re)connection the socket gets every retained command of its
 * unit's and its user's logs after those seqs, in order; a seq not sent counts as 0 (the whole
 * retained log). A malformed seq refuses the handshake with `invalid_handshake`.
 */
export const fieldHandshakeAuthSchema = z.object({
  token: text().min(1),
  lastSeq: lastSeqSchema.optional(),
  lastUserSeq: lastUserSeqSchema.optional(),
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
  /** Newest seq of the user's log. */
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

// The command log and channel behind `/field` commands (docs/adr/0020).
export * from './command-log';
