import { metrics, type Counter, type Meter } from '@opentelemetry/api';

export const BUS_METER_NAME = '@gad/bus';

export interface BusInstruments {
  unreplicated: Counter;
  published: Counter;
  consumed: Counter;
  failed: Counter;
  deadLettered: Counter;
  unhandled: Counter;
}

/** Latest DLQ length and group lag seen by running consumers, read by the observable gauges. */
const dlqLengths = new Map<string, { stream: string; value: number }>();
const groupLags = new Map<string, { stream: string; group: string; value: number }>();

const byMeter = new WeakMap<Meter, BusInstruments>();

/**
 * The bus instruments on the meter of the currently registered MeterProvider (no-ops without an
 * SDK). Looked up on use, so an SDK registered after this module loaded still receives them.
 */
export function busInstruments(): BusInstruments {
  const meter = metrics.getMeter(BUS_METER_NAME);
  const cached = byMeter.get(meter);
  if (cached) {
    return cached;
  }
  const instruments: BusInstruments = {
    published: meter.createCounter('gad_bus_published', {
      description: 'Envelopes appended to a stream by the bus (attribute: stream)',
    }),
    unreplicated: meter.createCounter('gad_bus_unreplicated', {
      description:
        'Envelopes a Redis Cluster primary took without a replica confirming them in time (attribute: stream); lost if that primary dies before replicating',
    }),
    consumed: meter.createCounter('gad_bus_consumed', {
      description: 'Entries handled successfully and acknowledged (attributes: stream, group)',
    }),
    failed: meter.createCounter('gad_bus_failed', {
      description: 'Handler failures, each failed delivery counted (attributes: stream, group)',
    }),
    deadLettered: meter.createCounter('gad_bus_dead_lettered', {
      description: 'Entries moved to <stream>:dlq (attributes: stream, group, reason)',
    }),
    unhandled: meter.createCounter('gad_bus_unhandled', {
      description:
        'Entries acknowledged without a handler for their type (attributes: stream, group)',
    }),
  };
  meter
    .createObservableGauge('gad_bus_dlq_length', {
      description: 'Entries in <stream>:dlq, sampled by consumers (attribute: stream)',
    })
    .addCallback((result) => {
      for (const { stream, value } of dlqLengths.values()) {
        result.observe(value, { stream });
      }
    });
  meter
    .createObservableGauge('gad_bus_consumer_lag', {
      description:
        'Entries not yet delivered to the group (XINFO GROUPS lag; attributes: stream, group)',
    })
    .addCallback((result) => {
      for (const { stream, group, value } of groupLags.values()) {
        result.observe(value, { stream, group });
      }
    });
  byMeter.set(meter, instruments);
  return instruments;
}

export function recordDlqLength(stream: string, value: number): void {
  dlqLengths.set(stream, { stream, value });
}

export function recordGroupLag(stream: string, group: string, value: number): void {
  groupLags.set(`${stream}\u0000${group}`, { stream, group, value });
}

export function forgetGroupStats(stream: string, group: string): void {
  groupLags.delete(`${stream}\u0000${group}`);
}
