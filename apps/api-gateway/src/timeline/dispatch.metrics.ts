import { metrics, type Counter, type Meter } from '@opentelemetry/api';

export const DISPATCH_METER_NAME = 'api-gateway-dispatch';

export interface DispatchInstruments {
  /** Domain events committed to the outbox (attribute `type`, e.g. `assignment.created`). */
  events: Counter;
  /** Acknowledgements handled (attributes `stage`, `outcome`: applied|ignored|duplicate|pending|dropped, `reason`). */
  acks: Counter;
  /** Nearest-strategy requests (attribute `outcome`: assigned|no_unit). */
  nearest: Counter;
}

const byMeter = new WeakMap<Meter, DispatchInstruments>();

/** Dispatch-domain instruments on the current MeterProvider (no-ops without an SDK). */
export function dispatchInstruments(): DispatchInstruments {
  const meter = metrics.getMeter(DISPATCH_METER_NAME);
  const cached = byMeter.get(meter);
  if (cached) {
    return cached;
  }
  const instruments: DispatchInstruments = {
    events: meter.createCounter('gad_dispatch_events', {
      description: 'Dispatch domain events committed with their change (attribute type)',
    }),
    acks: meter.createCounter('gad_dispatch_acks', {
      description:
        'Command acknowledgements handled (attributes stage, outcome: applied|ignored|duplicate|dropped, reason: unknown|foreign)',
    }),
    nearest: meter.createCounter('gad_dispatch_nearest', {
      description: 'Nearest-unit assignment requests (attribute outcome: assigned|no_unit)',
    }),
  };
  byMeter.set(meter, instruments);
  return instruments;
}
