import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { canonicalJson } from '../chain/canonical-json';
import { GENESIS_HASH } from '../chain/chain-hash';
import type { CheckpointSigner } from '../chain/checkpoint-signer';
import { isPurgeAnchorSigned, type PurgeAnchor } from '../chain/purge-anchor';
import type { CheckpointRecord } from '../ingest/chain.repository';

/**
 * The witness: append-only JSONL files outside the database (docs/adr/0022). Every line is
 * `{v, n, prev, at, keyId, record, sig}`: `n` counts the lines of its file from 1, `prev` is the
 * SHA-256 (hex) of the previous line's text (64 zeros for the first), `sig` the Ed25519 signature
 * of the canonical JSON of every other member. A line is written as that canonical JSON plus `\n`.
 * So a line cannot be altered, removed or reordered without breaking the file's chain, and nobody
 * without the signing key can write one.
 */
export const WITNESS_LINE_VERSION = 1;

/** Entries one write transaction appended to a chain: `fromSeq..toSeq`, chained from `prevHash`. */
export interface WitnessSegment {
  agencyId: string;
  fromSeq: number;
  toSeq: number;
  prevHash: string;
  headHash: string;
}

export type WitnessRecord =
  | ({ kind: 'segment' } & WitnessSegment)
  | ({ kind: 'checkpoint' } & CheckpointRecord)
  | ({ kind: 'purge' } & PurgeAnchor);

export interface WitnessLineBody {
  v: number;
  n: number;
  prev: string;
  at: string;
  keyId: string;
  record: WitnessRecord;
}

/** One line's text (without the newline) and the hash the next line names as `prev`. */
export function witnessLine(
  signer: CheckpointSigner,
  body: WitnessLineBody,
): { text: string; hash: string } {
  const text = canonicalJson({ ...body, sig: signer.signRecord(body) });
  return { text, hash: sha256(text) };
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** What the witness says about one agency's chain. */
export interface AgencyWitness {
  segments: WitnessSegment[];
  checkpoints: CheckpointRecord[];
  purges: PurgeAnchor[];
}

export interface WitnessContents {
  files: number;
  lines: number;
  /** Lines that do not verify: the witness itself was tampered with (or written by another key). */
  problems: string[];
  forAgency(agencyId: string): AgencyWitness;
}

/**
 * Reads a witness file, or every `*.jsonl` file of a witness directory (one per worker process),
 * line by line, checking each file's line chain and every signature against the configured keys.
 * Keeps the records of `agencyId` only, when given (a witness holds every agency's records). A last
 * line without its newline is a write torn by a crash and is skipped.
 */
export async function readWitness(
  path: string,
  signer: CheckpointSigner,
  agencyId?: string,
): Promise<WitnessContents> {
  const files = (await stat(path)).isDirectory()
    ? (await readdir(path))
        .filter((name) => name.endsWith('.jsonl'))
        .sort()
        .map((name) => join(path, name))
    : [path];
  const problems: string[] = [];
  const records: WitnessRecord[] = [];
  let lines = 0;
  for (const file of files) {
    const torn = !(await endsWithNewline(file));
    let prev = GENESIS_HASH;
    let n = 0;
    let pending: string | undefined;
    const take = (line: string): void => {
      n += 1;
      lines += 1;
      const where = `${file} line ${n}`;
      let parsed: WitnessLineBody & { sig: string };
      try {
        parsed = JSON.parse(line) as WitnessLineBody & { sig: string };
      } catch {
        problems.push(`${where}: not JSON`);
        prev = sha256(line);
        return;
      }
      const { sig, ...body } = parsed;
      if (body.n !== n || body.prev !== prev) {
        problems.push(`${where}: does not follow line ${n - 1} (a line was removed or altered)`);
      }
      if (typeof sig !== 'string' || !signer.verifyRecord(body, sig)) {
        problems.push(`${where}: no valid signature by a trusted key`);
      } else if (!recordIsSigned(signer, body.record)) {
        problems.push(`${where}: the ${body.record.kind} it holds has no valid signature`);
      } else if (agencyId === undefined || body.record.agencyId === agencyId) {
        records.push(body.record);
      }
      prev = sha256(line);
    };
    const input = createReadStream(file, { encoding: 'utf8' });
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      if (pending !== undefined && pending.length > 0) {
        take(pending);
      }
      pending = line;
    }
    if (pending !== undefined && pending.length > 0 && !torn) {
      take(pending);
    }
  }
  return {
    files: files.length,
    lines,
    problems,
    forAgency(wanted) {
      const mine = records.filter((record) => record.agencyId === wanted);
      return {
        segments: mine.flatMap(({ kind, ...rest }) =>
          kind === 'segment' ? [rest as WitnessSegment] : [],
        ),
        checkpoints: mine.flatMap(({ kind, ...rest }) =>
          kind === 'checkpoint' ? [rest as CheckpointRecord] : [],
        ),
        purges: mine.flatMap(({ kind, ...rest }) =>
          kind === 'purge' ? [rest as PurgeAnchor] : [],
        ),
      };
    },
  };
}

async function endsWithNewline(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size === 0) {
      return true;
    }
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    await handle.close();
  }
}

function recordIsSigned(signer: CheckpointSigner, record: WitnessRecord): boolean {
  if (record.kind === 'checkpoint') {
    const { kind: _kind, signature, ...payload } = record;
    return signer.verify(payload, signature);
  }
  if (record.kind === 'purge') {
    const { kind: _kind, ...anchor } = record;
    return isPurgeAnchorSigned(signer, anchor);
  }
  return true;
}
