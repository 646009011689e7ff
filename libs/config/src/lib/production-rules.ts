import { z } from 'zod';

/**
 * What `NODE_ENV=production` changes for one variable (docs/adr/0016): a deployment gives every
 * URL, key and secret explicitly, so a default that suits a developer's machine (a localhost URL)
 * must not silently apply there.
 */
export interface ProductionRule {
  /** Unset or empty in production: boot fails naming the variable ("is required in production"). */
  readonly required?: true;
  /** Unset in production: this value is used instead of the schema's (development) default. */
  readonly defaultValue?: string;
}

/** The production rules of schema fields, keyed by the field's zod schema instance. */
export const productionRules = z.registry<ProductionRule>();

/**
 * Marks a variable as required when `NODE_ENV=production`, whatever its default or optionality
 * elsewhere: `DATABASE_URL: requiredInProduction(envUrl([...]).default('postgres://...127.0.0.1...'))`.
 */
export function requiredInProduction<T extends z.ZodType>(schema: T): T {
  productionRules.add(schema, { required: true });
  return schema;
}

/** Gives a variable another default when `NODE_ENV=production` (it can still be set explicitly). */
export function productionDefault<T extends z.ZodType>(defaultValue: string, schema: T): T {
  productionRules.add(schema, { defaultValue });
  return schema;
}

type EnvSource = Readonly<Record<string, string | undefined>>;

/** Names and rules of the fields of an object schema that carry a production rule. */
export function productionRulesOf(
  schema: z.ZodType,
): Array<{ readonly name: string; readonly rule: ProductionRule }> {
  const shape = (schema as { shape?: Record<string, z.ZodType> }).shape;
  if (!shape) {
    return [];
  }
  return Object.entries(shape).flatMap(([name, field]) => {
    const rule = productionRules.get(field);
    return rule ? [{ name, rule }] : [];
  });
}

/** Variables a production deployment must set for this schema (e.g. for docs and deploy tests). */
export function variablesRequiredInProduction(schema: z.ZodType): string[] {
  return productionRulesOf(schema)
    .filter(({ rule }) => rule.required)
    .map(({ name }) => name);
}

/**
 * Applies the production rules of `schema` to `env` when `env.NODE_ENV` is `production`: returns
 * the environment with production defaults filled in, and one issue per required variable that is
 * unset or empty. Outside production it returns `env` unchanged and no issues. `loadConfig` calls it
 * for every schema, so a rule added to a field applies to every app that reads the field.
 */
export function applyProductionRules(
  schema: z.ZodType,
  env: EnvSource,
): { env: EnvSource; issues: Array<{ name: string; message: string }> } {
  if (env['NODE_ENV'] !== 'production') {
    return { env, issues: [] };
  }
  const effective: Record<string, string | undefined> = { ...env };
  const issues: Array<{ name: string; message: string }> = [];
  for (const { name, rule } of productionRulesOf(schema)) {
    const value = env[name];
    const unset = value === undefined || value === '';
    if (rule.required && unset) {
      issues.push({
        name,
        message: 'is required in production (NODE_ENV=production uses no development default)',
      });
    }
    if (rule.defaultValue !== undefined && value === undefined) {
      effective[name] = rule.defaultValue;
    }
  }
  return { env: effective, issues };
}
