import { readFileSync } from 'node:fs';

/**
 * Reads a `*.repository.sql` file made of named statements, each introduced by a line
 * `-- name: <statement_name>`, so the reviewed SQL file is the one that runs (geo-service's
 * repositories, and the geo bench running the same statements).
 */
export function loadSqlFile(path: string): ReadonlyMap<string, string> {
  const statements = new Map<string, string>();
  let name: string | undefined;
  let lines: string[] = [];
  const flush = (): void => {
    if (name !== undefined) {
      statements.set(name, lines.join('\n').trim().replace(/;$/, ''));
    }
  };
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const header = /^--\s*name:\s*([a-z0-9_]+)\s*$/.exec(line);
    if (header) {
      flush();
      name = header[1];
      lines = [];
    } else if (name !== undefined) {
      lines.push(line);
    }
  }
  flush();
  return statements;
}

/** One statement of a loaded file; fails at load time when it is missing. */
export function sqlOf(file: ReadonlyMap<string, string>, name: string): string {
  const sql = file.get(name);
  if (!sql) {
    throw new Error(`SQL statement "${name}" not found`);
  }
  return sql;
}
