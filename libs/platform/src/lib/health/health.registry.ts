import { Injectable } from '@nestjs/common';

export type HealthCheck = () => Promise<void>;

export interface HealthCheckOptions {
  /** Per-check deadline; default {@link DEFAULT_CHECK_TIMEOUT_MS}. */
  timeoutMs?: number;
}

export type CheckResult =
  { status: 'up'; latencyMs: number } | { status: 'down'; latencyMs: number; error: string };

export interface ReadinessReport {
  status: 'ok' | 'error' | 'shutting_down';
  checks: Record<string, CheckResult>;
}

/**
 * Default per-check deadline. Checks run concurrently, so readiness answers within about this long
 * whatever hangs: well inside a probe's timeout (Kubernetes' default is 1 s), so a dependency that
 * does not answer gives a 503, never a probe timeout.
 */
export const DEFAULT_CHECK_TIMEOUT_MS = 500;

/** Readiness checks registered by modules (database, redis, bus...) plus the shutdown flag. */
@Injectable()
export class HealthRegistry {
  private readonly checks = new Map<string, { check: HealthCheck; timeoutMs: number }>();
  private shuttingDown = false;

  /** Registers (or replaces) a readiness check; it passes when the promise resolves in time. */
  register(name: string, check: HealthCheck, options: HealthCheckOptions = {}): void {
    this.checks.set(name, { check, timeoutMs: options.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS });
  }

  unregister(name: string): void {
    this.checks.delete(name);
  }

  /** From now on readiness reports `shutting_down` (503), so load balancers stop routing here. */
  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Runs every check concurrently, each bounded by its timeout. */
  async readiness(): Promise<ReadinessReport> {
    const entries = await Promise.all(
      [...this.checks.entries()].map(
        async ([name, { check, timeoutMs }]) => [name, await runCheck(check, timeoutMs)] as const,
      ),
    );
    const checks = Object.fromEntries(entries);
    const failed = entries.some(([, result]) => result.status === 'down');
    return { status: this.shuttingDown ? 'shutting_down' : failed ? 'error' : 'ok', checks };
  }
}

async function runCheck(check: HealthCheck, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.resolve().then(check),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { status: 'up', latencyMs: elapsed(started) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { status: 'down', latencyMs: elapsed(started), error: message };
  } finally {
    clearTimeout(timer);
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}
