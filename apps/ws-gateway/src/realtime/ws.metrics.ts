import {
  metrics,
  type Counter,
  type Histogram,
  type Meter,
  type UpDownCounter,
} from '@opentelemetry/api';

export const WS_METER_NAME = 'ws-gateway';

export interface WsInstruments {
  /** Open sockets on this instance (attribute `namespace`). */
  sockets: UpDownCounter;
  /** Messages received from clients (attributes `namespace`, `event`). */
  messagesIn: Counter;
  /** Emits to rooms or sockets (attributes `namespace`, `event`). */
  messagesOut: Counter;
  /** Milliseconds from an event's `occurredAt` to its emit (attribute `event`). */
  emitLatency: Histogram;
  /** Messages answered `rate_limited` (attribute `namespace`). */
  rateLimited: Counter;
  /** Refused handshakes and rejected messages (attributes `namespace`, `code`). */
  rejected: Counter;
  /** Commands replayed after a reconnect or `resume`. */
  replayed: Counter;
  /** Resync signals (attribute `reason`). */
  resyncs: Counter;
  /** Sockets closed for a full send buffer and failed emits/publishes (attribute `reason`). */
  sendErrors: Counter;
}

const byMeter = new WeakMap<Meter, WsInstruments>();

/** ws-gateway instruments on the current MeterProvider (no-ops without an SDK). */
export function wsInstruments(): WsInstruments {
  const meter = metrics.getMeter(WS_METER_NAME);
  const cached = byMeter.get(meter);
  if (cached) {
    return cached;
  }
  const instruments: WsInstruments = {
    sockets: meter.createUpDownCounter('gad_ws_sockets', {
      description: 'Open sockets on this instance (attribute namespace)',
    }),
    messagesIn: meter.createCounter('gad_ws_messages_in', {
      description: 'Messages received from clients (attributes namespace, event)',
    }),
    messagesOut: meter.createCounter('gad_ws_messages_out', {
      description: 'Emits to rooms or sockets (attributes namespace, event)',
    }),
    emitLatency: meter.createHistogram('gad_ws_emit_latency_ms', {
      description: 'Milliseconds from the event occurredAt to its emit (attribute event)',
      unit: 'ms',
    }),
    rateLimited: meter.createCounter('gad_ws_rate_limited', {
      description: 'Messages answered rate_limited (attribute namespace)',
    }),
    rejected: meter.createCounter('gad_ws_rejected', {
      description: 'Refused handshakes and rejected messages (attributes namespace, code)',
    }),
    replayed: meter.createCounter('gad_ws_commands_replayed', {
      description: 'Commands replayed from the command log after a reconnect or resume',
    }),
    resyncs: meter.createCounter('gad_ws_resyncs', {
      description: 'Resync signals sent (attribute reason)',
    }),
    sendErrors: meter.createCounter('gad_ws_send_errors', {
      description:
        'Sockets closed for a full send buffer, failed emits or publishes (attribute reason)',
    }),
  };
  byMeter.set(meter, instruments);
  return instruments;
}
