// node-postgres's `pg/lib/utils` (exported by its package.json, untyped by @types/pg): the
// conversion of a JavaScript value to the text it binds for a parameter.
declare module 'pg/lib/utils' {
  export function prepareValue(value: unknown): string | Buffer | null;
}
