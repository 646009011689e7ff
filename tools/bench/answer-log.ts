import { appendFileSync } from 'node:fs';

/**
 * Every answer of a run, to see where a run's tail sits in time (one stall, the start of a phase,
 * a pause every few hundred milliseconds) rather than only its percentiles. Off unless
 * `GAD_BENCH_SAMPLES=<file>` is set; then the api and overload benches append one JSON line per run
 * to that file: `{ run, startedAt, monotonicUs, answers, ...extra }`, where `startedAt` is the
 * wall-clock ms of the run's start (to line up with a service's `tools/bench/stall-monitor`
 * lines), `monotonicUs` the same instant on the monotonic clock that `--cpu-prof` and
 * `perf record -k CLOCK_MONOTONIC` samples carry, and `answers` holds `[due, latency, status]`:
 * ms from the run's start to the moment the request was due, its latency in ms, its HTTP status.
 */
export interface AnswerLog {
  record(dueMs: number, latencyMs: number, status: number): void;
  /** Appends the run's line (with `extra`, e.g. the limits scraped during it). */
  write(extra?: Record<string, unknown>): void;
}

/** An answer log for one run, or undefined when `GAD_BENCH_SAMPLES` is not set. */
export function answerLog(run: string): AnswerLog | undefined {
  const file = process.env['GAD_BENCH_SAMPLES'];
  if (!file) return undefined;
  const startedAt = performance.timeOrigin + performance.now();
  const monotonicUs = Number(process.hrtime.bigint() / 1000n);
  const answers: [number, number, number][] = [];
  return {
    record: (dueMs, latencyMs, status) => {
      answers.push([+dueMs.toFixed(3), +latencyMs.toFixed(3), status]);
    },
    write: (extra = {}) => {
      appendFileSync(
        file,
        `${JSON.stringify({ run, startedAt, monotonicUs, answers, ...extra })}\n`,
      );
    },
  };
}
