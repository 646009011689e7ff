/* Shared helpers of the benchmarks: percentiles, machine description, docs/benchmarks.md sections. */
import { execSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';

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
    : '# Benchmarks\n\nFigures recorded by `tools/bench` (see [docs/architecture.md](architecture.md#performance-budgets) for the budgets).\n';
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

/** The processes a run's CPU is charged to: a process and its PostgreSQL backends. */
export interface CpuProbe {
  /** The server's process, or every instance of it (their CPU is summed). */
  pid: number | readonly number[];
  /** A connection that can read `pg_stat_activity` (the bench's superuser one). */
  admin: Pick<Client, 'query'>;
  database: string;
  /** Only backends with (one of) these `application_name`s; every backend of `database` without. */
  applicationName?: string | readonly string[];
}

/** CPU (ms) of a probe's process and of its PostgreSQL backends, by backend pid. */
export interface CpuSnapshot {
  process: number;
  backends: Map<number, number>;
}

export async function cpuSnapshot(probe: CpuProbe): Promise<CpuSnapshot> {
  const { rows } = await probe.admin.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity
      WHERE datname = $1 AND ($2::text[] IS NULL OR application_name = ANY($2::text[]))
        AND pid <> pg_backend_pid()`,
    [probe.database, probe.applicationName === undefined ? null : [probe.applicationName].flat()],
  );
  return {
    process: [probe.pid].flat().reduce((sum, pid) => sum + cpuMsOf(pid), 0),
    backends: new Map(rows.map(({ pid }) => [pid, cpuMsOf(pid)])),
  };
}

/**
 * CPU (ms) spent between two snapshots by the process and its backends (a backend opened in
 * between counts from 0; one closed in between is missed, so runs keep their pools busy).
 */
export function cpuSpent(
  before: CpuSnapshot,
  after: CpuSnapshot,
): { process: number; database: number } {
  let database = 0;
  for (const [pid, ms] of after.backends) {
    if (Number.isFinite(ms)) database += ms - (before.backends.get(pid) ?? 0);
  }
  return { process: after.process - before.process, database };
}

type FlagValue = number | string | boolean | number[];

const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * Parses a bench's `--flag value` / `--flag=value` arguments against its defaults: each key is a
 * flag in kebab case (`maxMessages` → `--max-messages`), typed by its default (a number, a string,
 * a comma list of numbers, or a boolean switched off with `--no-<flag>`). `--help` prints the usage.
 */
export function parseBenchFlags<T extends Record<string, FlagValue>>(
  bench: string,
  args: readonly string[],
  defaults: T,
): T {
  const usage =
    `node tools/bench/run.mjs ${bench} ` +
    Object.entries(defaults)
      .map(([key, value]) =>
        typeof value === 'boolean'
          ? `[--no-${kebab(key)}]`
          : `[--${kebab(key)} ${Array.isArray(value) ? value.join(',') : value}]`,
      )
      .join(' ');
  const flags: Record<string, FlagValue> = { ...defaults };
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] ?? '';
    if (arg === '--help') {
      console.log(usage);
      process.exit(0);
    }
    const [name = '', inline] = arg.replace(/^--/, '').split(/=(.*)/s, 2);
    const negated = name.startsWith('no-') ? name.slice(3) : undefined;
    const key = Object.keys(defaults).find((k) => kebab(k) === (negated ?? name));
    const current = key === undefined ? undefined : defaults[key];
    if (!arg.startsWith('--') || key === undefined || current === undefined) {
      throw new Error(`unknown flag ${arg}\nusage: ${usage}`);
    }
    if (typeof current === 'boolean') {
      flags[key] = negated === undefined;
      continue;
    }
    const raw = inline ?? args[++i];
    if (negated !== undefined || raw === undefined) {
      throw new Error(`--${name} needs a value\nusage: ${usage}`);
    }
    if (typeof current === 'string') {
      flags[key] = raw;
      continue;
    }
    const numbers = raw.split(',').map(Number);
    if (
      numbers.some((n) => !Number.isFinite(n)) ||
      (!Array.isArray(current) && numbers.length !== 1)
    ) {
      throw new Error(
        `--${name} takes ${Array.isArray(current) ? 'numbers' : 'a number'}, not ${raw}`,
      );
    }
    flags[key] = Array.isArray(current) ? numbers : (numbers[0] as number);
  }
  return flags as T;
}

/**
 * The analysis kept with a benchmark (`tools/bench/analysis/<name>.md`, edited by hand): appended
 * to its section of docs/benchmarks.md on every write, so a rerun keeps the reasoning.
 */
export function analysis(root: string, name: string): string {
  const file = join(root, 'tools', 'bench', 'analysis', `${name}.md`);
  return existsSync(file) ? readFileSync(file, 'utf8').trimEnd() : '';
}
