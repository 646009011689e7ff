import { auditEntrySchema, type StoredAuditEntry } from '@gad/contracts';
import { fromStorableJson } from '../chain/storable-json';
import type { EntryRow } from './query.repository';

export const toStoredEntry = (row: EntryRow): StoredAuditEntry => ({
  seq: Number(row.seq),
  hash: row.hash,
  prevHash: row.prev_hash,
  recordedAt: row.recorded_at.toISOString(),
  // Stored strings holding NUL or lone surrogates are escaped: answer the original entry.
  entry: auditEntrySchema.parse(fromStorableJson(row.entry)),
});

const CURSOR_PREFIX = 'seq:';

/** Opaque page cursor: base64url of `seq:<n>` (the last sequence of the page). */
export const encodeCursor = (seq: number): string =>
  Buffer.from(`${CURSOR_PREFIX}${seq}`, 'utf8').toString('base64url');

export const decodeCursor = (cursor: string): number | undefined => {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(CURSOR_PREFIX)) {
    return undefined;
  }
  const seq = Number(text.slice(CURSOR_PREFIX.length));
  return Number.isSafeInteger(seq) && seq > 0 ? seq : undefined;
};
