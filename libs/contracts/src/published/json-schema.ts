import { z } from 'zod';

export type JsonSchema = Record<string, unknown>;

/**
 * A zod schema as JSON Schema 2020-12 (the dialect of OpenAPI 3.1 and of AsyncAPI 3 with
 * `schemaFormat` JSON Schema), without the `$schema` keyword. `io: 'input'` describes what a caller
 * sends (before coercion and defaults); `'output'` what the server answers. Parts zod cannot express
 * in JSON Schema (preprocess functions, transforms) become `{}` instead of failing the document.
 * AsyncAPI 3's default schema format is a superset of draft-07: its documents use `'draft-07'`.
 */
export function toJsonSchema(
  schema: z.ZodType,
  io: 'input' | 'output',
  target: 'draft-2020-12' | 'draft-07' = 'draft-2020-12',
): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target,
    io,
    unrepresentable: 'any',
    reused: 'inline',
    cycles: 'ref',
  }) as JsonSchema;
  delete json['$schema'];
  return json;
}

/** `createIncident` → `CreateIncident` (component names). */
export function pascalCase(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part.length > 0)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
}
