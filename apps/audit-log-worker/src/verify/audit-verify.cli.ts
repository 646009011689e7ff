/**
 * Verifies an agency's audit chain straight from PostgreSQL: recomputes every hash, checks the
 * sequence has no gap and every signed checkpoint's Ed25519 signature, and names the first broken
 * entry.
 *
 *   npm run audit:verify -- --agency <id> [--witness <dir|file>] [--from <seq|ISO time>]
 *     [--to <seq|ISO time>] [--json]
 *
 * With `--witness` (the worker's AUDIT_WITNESS_DIR, or one file of it) the database is also checked
 * against the append-only witness outside it (docs/adr/0022): every witnessed checkpoint, write
 * segment and purge is still there with the same hashes, and nothing was inserted between them.
 *
 * Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/gad); trusted keys from
 * AUDIT_SIGNING_KEY (the worker's private key, PEM or base64 PKCS#8) and/or AUDIT_VERIFY_PUBLIC_KEYS
 * (`;`-separated SPKI PEM or base64), or `--public-key <file>`. Exit code 0 = intact, 1 = broken,
 * 2 = usage or connection error.
 *
 * An entry point of audit-log-worker, like `main.ts` (built to
 * `dist/apps/audit-log-worker/src/verify/audit-verify.cli.js`): the chain, its SQL and the checkpoint
 * keys belong to this app, so the CLI lives beside them instead of importing them from tools/.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '@gad/config';
import { Database } from '@gad/platform';
import type { AuditVerifyRange, AuditVerifyReply } from '@gad/contracts';
import { z } from 'zod';
import { CheckpointSigner } from '../chain/checkpoint-signer';
import { openAuditDataSource } from '../database/data-source';
import { VerifyRepository } from './verify.repository';
import { VerifyService } from './verify.service';

/** What the CLI reads from the environment (each optional; `--database-url` wins over the variable). */
const auditVerifyEnvSchema = z.object({
  DATABASE_URL: z.string().optional(),
  AUDIT_SIGNING_KEY: z.string().optional(),
  AUDIT_VERIFY_PUBLIC_KEYS: z.string().optional(),
});

const USAGE =
  'usage: npm run audit:verify -- --agency <id> [--witness <dir|file>] [--from <seq|ISO time>] ' +
  '[--to <seq|ISO time>] [--public-key <file>] [--database-url <url>] [--json]';

function bound(value: string | undefined, name: 'from' | 'to'): AuditVerifyRange {
  if (value === undefined) {
    return {};
  }
  if (/^\d+$/.test(value)) {
    return name === 'from' ? { fromSeq: Number(value) } : { toSeq: Number(value) };
  }
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) {
    throw new Error(`--${name} must be a sequence number or an ISO-8601 time, got "${value}"`);
  }
  return { [name]: time.toISOString() };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      agency: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      'public-key': { type: 'string' },
      witness: { type: 'string' },
      'database-url': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || !values.agency) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const env = loadConfig('audit:verify', auditVerifyEnvSchema);
  const extraKeys = (env.AUDIT_VERIFY_PUBLIC_KEYS ?? '')
    .split(';')
    .map((key) => key.trim())
    .filter((key) => key.length > 0);
  if (values['public-key']) {
    extraKeys.push(readFileSync(values['public-key'], 'utf8'));
  }
  const signer = new CheckpointSigner(env.AUDIT_SIGNING_KEY || undefined, extraKeys);
  const range = { ...bound(values.from, 'from'), ...bound(values.to, 'to') };
  const dataSource = await openAuditDataSource({
    url: values['database-url'] ?? env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/gad',
    poolSize: 1,
    statementTimeoutMs: 600_000,
    applicationName: 'audit-verify',
  });
  try {
    const verifier = new VerifyService(new VerifyRepository(new Database(dataSource)), signer);
    // A witness that does not verify is itself evidence of tampering: reported before the chain.
    const report: AuditVerifyReply = values.witness
      ? await verifier.verifyWithWitness(values.agency, range, values.witness)
      : await verifier.verify(values.agency, range);
    const witnessNote =
      report.witnessedThroughSeq === undefined
        ? ''
        : `; witness (${report.witness?.files} files, ${report.witness?.lines} lines) vouches through ${report.witnessedThroughSeq}` +
          (report.lastSeq > report.witnessedThroughSeq
            ? `, ${report.lastSeq - report.witnessedThroughSeq} entries after it unwitnessed (tail)`
            : '');
    if (values.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else if (report.valid) {
      process.stdout.write(
        `OK agency ${report.agencyId}: ${report.entriesChecked} entries (${report.firstSeq}..${report.lastSeq}, ` +
          `anchored at ${report.anchoredAt}), ${report.checkpointsChecked} signed checkpoints, ` +
          `last checkpoint at ${report.lastCheckpointSeq}${witnessNote}\n`,
      );
    } else {
      const broken = report.firstBreak;
      const inDoubt = broken?.inDoubt
        ? `; entries in doubt ${broken.inDoubt.fromSeq}..${broken.inDoubt.toSeq} (first entry in doubt ${broken.inDoubt.fromSeq})`
        : '';
      process.stdout.write(
        `BROKEN agency ${report.agencyId}: first broken entry seq ${broken?.seq}` +
          `${broken?.entryId ? ` (id ${broken.entryId})` : ''}: ${broken?.reason}: ${broken?.detail}` +
          `${inDoubt}\n`,
      );
    }
    return report.valid ? 0 : 1;
  } finally {
    await dataSource.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `audit-verify: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(2);
  },
);
