import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json';

/** `prev_hash` of the first entry of every agency's chain: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * `hash = SHA-256(prev_hash ‖ canonical JSON of the entry)`, where `prev_hash` is the previous
 * entry's hash as 64 lowercase hex characters and both parts are UTF-8; the result is lowercase hex.
 */
export function chainHash(prevHash: string, entry: unknown): string {
  return chainHashOfCanonical(prevHash, canonicalJson(entry));
}

/** {@link chainHash} when the canonical JSON is already at hand. */
export function chainHashOfCanonical(prevHash: string, canonical: string): string {
  return createHash('sha256').update(prevHash, 'utf8').update(canonical, 'utf8').digest('hex');
}
