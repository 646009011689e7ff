// Preloaded into the overload bench's api-gateway (NODE_OPTIONS=--require, set by
// tools/bench/overload.bench.ts for that process alone): every 250 ms it appends one JSON line
// to GAD_BENCH_LOOP_DELAY_FILE with the event-loop delay of the last 250 ms (p50/p99/max, ms,
// sampled every 2 ms) and the event-loop utilisation. A shed request is answered in the tick that
// reads it, so the loop delay is what a 503 waits for inside the gateway; the bench sets it
// beside the 503 latencies the client saw. It observes only; nothing in the apps reads it.
'use strict';
const { appendFileSync } = require('node:fs');
const { monitorEventLoopDelay, performance } = require('node:perf_hooks');

const file = process.env.GAD_BENCH_LOOP_DELAY_FILE;
if (file) {
  const RESOLUTION_MS = 2;
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  let utilisation = performance.eventLoopUtilization();
  // The histogram holds whole intervals between its timer's runs: the delay is what exceeds
  // the resolution.
  const delayMs = (ns) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  setInterval(() => {
    const elu = performance.eventLoopUtilization(utilisation).utilization;
    utilisation = performance.eventLoopUtilization();
    const line = {
      t: Date.now(),
      p50: delayMs(histogram.percentile(50)),
      p99: delayMs(histogram.percentile(99)),
      max: delayMs(histogram.max),
      elu,
    };
    histogram.reset();
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  }, 250).unref();
}
