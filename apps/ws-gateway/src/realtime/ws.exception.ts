import { SocketErrorCodes, type SocketError, type SocketErrorCode } from '@gad/contracts';
import { DomainException } from '@gad/platform';
import type { z } from 'zod';

/** An expected socket error: handlers answer it as an `error` event (and a failed ack). */
export class WsException extends DomainException {
  constructor(
    override readonly code: SocketErrorCode,
    status: number,
    detail: string,
    readonly issues?: SocketError['issues'],
  ) {
    super(code, status, detail);
  }

  static unauthenticated(detail: string): WsException {
    return new WsException(SocketErrorCodes.Unauthenticated, 401, detail);
  }

  static forbidden(detail: string): WsException {
    return new WsException(SocketErrorCodes.Forbidden, 403, detail);
  }

  static tooManySockets(max: number): WsException {
    return new WsException(
      SocketErrorCodes.TooManySockets,
      429,
      `at most ${max} sockets per user; close one first`,
    );
  }

  /** A malformed handshake field or token id claim; `issues` name it (`/lastSeq`, `/token/agencyId`). */
  static invalidHandshake(issues: NonNullable<SocketError['issues']>): WsException {
    return new WsException(
      SocketErrorCodes.InvalidHandshake,
      422,
      `invalid handshake: ${issues.map((issue) => issue.path).join(', ')}`,
      issues,
    );
  }

  static invalidPayload(error: z.ZodError): WsException {
    return new WsException(
      SocketErrorCodes.InvalidPayload,
      422,
      'payload does not match the event schema',
      error.issues.slice(0, 20).map((issue) => ({
        path: `/${issue.path.map(String).join('/')}`,
        message: issue.message,
      })),
    );
  }

  static rateLimited(): WsException {
    return new WsException(SocketErrorCodes.RateLimited, 429, 'too many messages; slow down');
  }

  static unknownEvent(event: string): WsException {
    return new WsException(SocketErrorCodes.UnknownEvent, 400, `unknown event ${event}`);
  }

  static shuttingDown(): WsException {
    return new WsException(SocketErrorCodes.ShuttingDown, 503, 'instance shutting down');
  }

  static unavailable(): WsException {
    return new WsException(SocketErrorCodes.Unavailable, 503, 'temporarily unavailable; retry');
  }

  toSocketError(event?: string): SocketError {
    return {
      code: this.code,
      message: this.detail,
      ...(event ? { event } : {}),
      ...(this.issues ? { issues: this.issues } : {}),
    };
  }

  /** The `Error` socket.io middleware passes to `next()`: the client's `connect_error`. */
  toConnectError(): Error {
    return Object.assign(new Error(this.code), {
      data: {
        code: this.code,
        message: this.detail,
        ...(this.issues ? { issues: this.issues } : {}),
      },
    });
  }
}
