/**
 * The clock port: services that need "now" inject it under {@link CLOCK} instead of calling
 * `new Date()`, so tests substitute a fixed or stepped clock. Each app provides it once, at its root
 * (`{ provide: CLOCK, useValue: options.clock ?? systemClock }`).
 */
export const CLOCK = Symbol('CLOCK');

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
