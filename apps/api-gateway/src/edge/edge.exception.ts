import { DomainException } from '@gad/platform';

export enum EdgeErrorCode {
  RateLimited = 'rate_limited',
  Overloaded = 'overloaded',
  IdempotencyKeyInvalid = 'idempotency_key_invalid',
  IdempotencyKeyReused = 'idempotency_key_reused',
  IdempotencyInProgress = 'idempotency_in_progress',
  IdempotencyUnavailable = 'idempotency_unavailable',
}

export class EdgeException extends DomainException {
  static rateLimited(retryAfterSeconds: number): EdgeException {
    return new EdgeException(
      EdgeErrorCode.RateLimited,
      429,
      `Too many requests; retry after ${retryAfterSeconds} s`,
      { extensions: { retryAfter: retryAfterSeconds } },
    );
  }

  static overloaded(retryAfterSeconds: number): EdgeException {
    return new EdgeException(
      EdgeErrorCode.Overloaded,
      503,
      `The server is busy; retry after ${retryAfterSeconds} s`,
      { extensions: { retryAfter: retryAfterSeconds } },
    );
  }

  static idempotencyKeyInvalid(): EdgeException {
    return new EdgeException(EdgeErrorCode.IdempotencyKeyInvalid, 422, 'Invalid Idempotency-Key', {
      errors: [
        {
          pointer: '/headers/idempotency-key',
          message: '1-255 visible ASCII characters',
          code: 'invalid_format',
        },
      ],
    });
  }

  static idempotencyKeyReused(): EdgeException {
    return new EdgeException(
      EdgeErrorCode.IdempotencyKeyReused,
      422,
      'This Idempotency-Key was used with a different request',
    );
  }

  static idempotencyInProgress(): EdgeException {
    return new EdgeException(
      EdgeErrorCode.IdempotencyInProgress,
      409,
      'A request with this Idempotency-Key is still being processed',
    );
  }

  static idempotencyUnavailable(): EdgeException {
    return new EdgeException(
      EdgeErrorCode.IdempotencyUnavailable,
      503,
      'Idempotency-Key cannot be honoured right now; retry later',
      { extensions: { retryAfter: 1 } },
    );
  }
}
