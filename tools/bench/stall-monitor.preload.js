// Preloaded into the dispatch bench's services with `--stalls` (GAD_SERVICE_NODE_ARGS=-r …, set
// by tools/bench/dispatch.bench.ts; the bench loads it into itself too). Appends JSON lines to
// GAD_BENCH_STALL_DIR/<app>-<pid>.jsonl:
//   {k:'stall', at, late}  the event loop ran a 5 ms timer `late` ms (≥ 15) after it was due;
//   {k:'gc', at, d, kind}  a GC pause of `d` ms (≥ 2), kind minor/major/incremental/weakcb;
//   {k:'cpu', at, ms}      the process's CPU time so far (user + system), once a second.
// `at` is wall-clock ms (performance.timeOrigin + now), comparable across processes, so the bench
// can tell a stall of one process (its own work, its GC) from one of the whole box (every process
// late at once). It observes only; nothing in the apps reads it.
'use strict';
const { appendFileSync } = require('node:fs');
const { join } = require('node:path');
const { PerformanceObserver, performance } = require('node:perf_hooks');

const dir = process.env.GAD_BENCH_STALL_DIR;
if (dir) {
  const entry = process.argv.find((arg) => arg.includes('dist/apps/'));
  const app = entry ? entry.replace(/.*dist\/apps\/([^/]+).*/, '$1') : 'bench';
  const file = join(dir, `${app}-${process.pid}.jsonl`);
  const wall = () => performance.timeOrigin + performance.now();
  const lines = [];
  const flush = () => {
    if (lines.length > 0) {
      appendFileSync(file, `${lines.join('\n')}\n`);
      lines.length = 0;
    }
  };
  const TICK_MS = 5;
  let last = wall();
  setInterval(() => {
    const now = wall();
    const late = now - last - TICK_MS;
    if (late >= 15) lines.push(JSON.stringify({ k: 'stall', at: last, late: +late.toFixed(1) }));
    last = now;
  }, TICK_MS).unref();
  const kinds = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb' };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.duration >= 2) {
        const kind = kinds[e.detail && e.detail.kind] || 'other';
        const at = performance.timeOrigin + e.startTime;
        lines.push(JSON.stringify({ k: 'gc', at, d: +e.duration.toFixed(1), kind }));
      }
    }
  }).observe({ entryTypes: ['gc'] });
  setInterval(() => {
    const { user, system } = process.cpuUsage();
    lines.push(JSON.stringify({ k: 'cpu', at: wall(), ms: (user + system) / 1000 }));
    flush();
  }, 1000).unref();
  process.on('exit', flush);
}
