import {
  parseEventData,
  type Envelope,
  type EventData,
  type EventSchemas,
  type EventType,
} from '@gad/contracts';
import { EventPattern, type MessageHandler } from '@nestjs/microservices';

type VersionsOf<T extends EventType> = keyof (typeof EventSchemas)[T];

/**
 * An envelope whose `data` passed the registry schema of its `type` and `version`
 * (`EventSchemas` of `@gad/contracts`). For a union of types it is a union discriminated by `type`.
 */
export type EventEnvelope<T extends EventType> = T extends EventType
  ? {
      [V in VersionsOf<T>]: Envelope<EventData<T, V>> & { type: T; version: V };
    }[VersionsOf<T>]
  : never;

export interface OnEventOptions<T extends EventType> {
  /**
   * Events with the same key are handled one after another, in stream order, while other keys run
   * concurrently (the consumer's `concurrency`). One queue per transport instance: handlers whose
   * keys are equal strings are ordered with each other, e.g. `unit:<agency>:<unit>` of
   * `assignment.created` and of `unit.status_changed`.
   */
  orderKey?: (event: EventEnvelope<T>) => string;
}

/** Key of the `@OnEvent` settings in a Nest handler's pattern extras. */
export const EVENT_INTAKE = 'gad.bus.eventIntake';

interface IntakeExtras {
  orderKey?: (event: Envelope) => string;
}

/**
 * Typed event intake: a Nest `@EventPattern` for one or more registered event types whose handler
 * gets `EventEnvelope<T>`. The transport validates `data` against the registry before the handler
 * runs; invalid data is logged (`invalid event`) and thrown, so the entry is retried and then
 * dead-lettered like any failed delivery, and the handler never sees it.
 *
 * ```ts
 * @OnEvent(EventTypes.AssignmentCreated, { orderKey: (e) => `unit:${e.agencyId}:${e.data.unitId}` })
 * onAssignmentCreated(@Payload() event: EventEnvelope<'assignment.created'>) { … }
 * ```
 */
export function OnEvent<T extends EventType>(
  types: T | readonly T[],
  options: OnEventOptions<T> = {},
): MethodDecorator {
  const extras: IntakeExtras = { orderKey: options.orderKey as IntakeExtras['orderKey'] };
  return EventPattern(([] as T[]).concat(types), { [EVENT_INTAKE]: extras });
}

/** What the transport does before an event handler runs (from the handlers' `@OnEvent` extras). */
export interface EventIntake {
  /** Validate `data` against the registry (an `@OnEvent` handler is on the pattern). */
  typed: boolean;
  orderKey?: (event: Envelope) => string;
}

/**
 * The intake of a Nest event handler and the handlers Nest chained after it on the same pattern:
 * typed when any of them is an `@OnEvent` handler; the first `orderKey` applies.
 */
export function eventIntakeOf(handler: MessageHandler): EventIntake {
  const intake: EventIntake = { typed: false };
  for (let current: MessageHandler | undefined = handler; current; current = current.next) {
    const extras = current.extras?.[EVENT_INTAKE] as IntakeExtras | undefined;
    if (extras) {
      intake.typed = true;
      intake.orderKey ??= extras.orderKey;
    }
  }
  return intake;
}

export type ParsedEvent = { ok: true; event: Envelope } | { ok: false; error: string };

/**
 * Validates an envelope's `data` against the schema registered for its type and version; the
 * event carries the parsed `data` (unknown keys stripped). An unknown type or version is invalid.
 */
export function parseEvent(envelope: Envelope): ParsedEvent {
  const parsed = parseEventData(envelope.type, envelope.version, envelope.data);
  return parsed.success
    ? { ok: true, event: { ...envelope, data: parsed.data } }
    : { ok: false, error: parsed.error };
}
