import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './deploy-test-helpers';

// A migration that has been committed may already have run somewhere: editing it in place would
// leave databases that ran the old text and databases that ran the new one with the same name in
// their migrations table. Schema changes roll forward (docs/adr/0025), so each committed migration
// is pinned by its SHA-256 in tools/migrations.sha256 (sha256sum format).
const lockFile = join(repoRoot, 'tools', 'migrations.sha256');

function locked(): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of readFileSync(lockFile, 'utf8').split('\n')) {
    const match = /^([0-9a-f]{64}) {2}(\S+)$/.exec(line);
    if (match) entries.set(match[2], match[1]);
  }
  return entries;
}

function migrationFiles(): string[] {
  return readdirSync(join(repoRoot, 'apps')).flatMap((app) => {
    const dir = join('apps', app, 'src', 'database', 'migrations');
    try {
      return readdirSync(join(repoRoot, dir))
        .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'))
        .map((file) => `${dir}/${file}`);
    } catch {
      return [];
    }
  });
}

const sha256 = (path: string): string =>
  createHash('sha256')
    .update(readFileSync(join(repoRoot, path)))
    .digest('hex');

describe('committed migrations (tools/migrations.sha256)', () => {
  it('are unchanged: each still has the SHA-256 it was committed with', () => {
    const changed = [...locked()]
      .filter(([path, hash]) => sha256(path) !== hash)
      .map(([path]) => path);
    expect(changed).toEqual([]);
  });

  it('are never removed, and every migration is pinned (append a new one with sha256sum)', () => {
    const files = migrationFiles();
    expect(files.length).toBeGreaterThan(0);
    expect([...locked().keys()].filter((path) => !files.includes(path))).toEqual([]);
    expect(files.filter((path) => !locked().has(path))).toEqual([]);
  });
});
