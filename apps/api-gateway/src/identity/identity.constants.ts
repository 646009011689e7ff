/** Injection token of the identity clock (tests move time by updating rows instead). */
export const IDENTITY_CLOCK = Symbol('IDENTITY_CLOCK');

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Why sessions were revoked (the `user.sessions_revoked` reasons). */
export type RevocationReason =
  'logout' | 'disabled' | 'token_reuse' | 'role_changed' | 'locked' | 'admin';
