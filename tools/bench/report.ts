/* Shared helpers of the benchmarks: percentiles, machine description, docs/benchmarks.md sections. */
import { execSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';

export const fmt = (value: number, digits = 2): string =>
  Number.isFinite(value) ? value.toFixed(digits) : 'n/a';

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** `2 CPUs (Intel ...)`. */
export function machine(): string {
  let cpu = cpus()[0]?.model ?? '?';
  try {
    cpu = execSync('lscpu | grep "Model name"', { encoding: 'utf8' }).split(':')[1].trim();
  } catch {
    // keep os.cpus() model
  }
  return `${cpus().length} CPUs (${cpu})`;
}

/** Progress line with the wall-clock time. */
export const progress = (message: string): void =>
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);

/** Replaces (or appends) the `heading` section (`## Name`) of docs/benchmarks.md. */
export function writeSection(root: string, heading: string, section: string): void {
  const file = join(root, 'docs', 'benchmarks.md');
  const current = existsSync(file)
    ? readFileSync(file, 'utf8')
    : '# Benchmarks\n\nFigures recorded by `tools/bench` (see ARCHITECTURE.md §7 for the budgets).\n';
  const start = current.search(new RegExp(`^${heading}\\s*$`, 'm'));
  let next: string;
  if (start === -1) {
    next = `${current.trimEnd()}\n\n${section}\n`;
  } else {
    const rest = current.slice(start + 1);
    const end = rest.search(/^## /m);
    next = current.slice(0, start) + section + '\n' + (end === -1 ? '' : `\n${rest.slice(end)}`);
  }
  writeFileSync(file, next);
}

/** CPU time (user + system, ms) of a process so far, from /proc (Linux). */
export function cpuMsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1_000) / 100;
  } catch {
    return Number.NaN;
  }
}
