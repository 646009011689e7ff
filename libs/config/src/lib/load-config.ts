import { z } from 'zod';
import { applyProductionRules } from './production-rules';

/** One bad environment variable: its name and what is wrong with it (never its value). */
export interface ConfigIssue {
  readonly name: string;
  readonly message: string;
}

/** Thrown at boot when the environment does not satisfy the app's schema; lists every bad name. */
export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(
      `${service}: invalid environment (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n` +
        issues.map((issue) => `  - ${issue.name}: ${issue.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

export type EnvSource = Readonly<Record<string, string | undefined>>;

/**
 * Validates the environment once against an app's zod object schema and returns the typed result.
 * Fails with a {@link ConfigError} naming every bad variable; values are never echoed, since they
 * may be secrets. This is the only reader of `process.env`.
 */
export function loadConfig<S extends z.ZodType<object>>(
  service: string,
  schema: S,
  env: EnvSource = process.env,
): z.infer<S> {
  // NODE_ENV=production: variables marked requiredInProduction must be set (no development default).
  const production = applyProductionRules(schema, env);
  const result = schema.safeParse(production.env);
  if (result.success && production.issues.length === 0) {
    return result.data;
  }
  const byName = new Map<string, string[]>();
  for (const issue of production.issues) {
    byName.set(issue.name, [issue.message]);
  }
  for (const issue of result.error?.issues ?? []) {
    const name = issue.path.length > 0 ? issue.path.map(String).join('.') : '(environment)';
    const message =
      issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
    if (!production.issues.some((required) => required.name === name)) {
      byName.set(name, [...(byName.get(name) ?? []), message]);
    }
  }
  const issues = [...byName.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, messages]) => ({ name, message: messages.join('; ') }));
  throw new ConfigError(service, issues);
}

/**
 * Runs an app's config loader at boot; on a {@link ConfigError} prints every bad variable to stderr
 * and exits with status 1 (an unhandled rejection would hide the list behind a stack trace).
 */
export function exitOnConfigError<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
