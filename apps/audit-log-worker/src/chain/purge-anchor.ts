import type { CheckpointSigner } from './checkpoint-signer';

/**
 * Where retention cut an agency's chain: verification starts after `throughSeq` from `throughHash`.
 * Signed like a checkpoint (Ed25519 over the canonical JSON of every field but `signature`), so a
 * database superuser who drops a partition cannot vouch for the cut with a row of their own.
 */
export interface PurgeAnchor {
  agencyId: string;
  throughSeq: number;
  throughHash: string;
  partition: string;
  purgedAt: string;
  keyId: string;
  signature: string;
}

export type PurgeAnchorPayload = Omit<PurgeAnchor, 'signature'>;

export function signPurgeAnchor(
  signer: CheckpointSigner,
  payload: PurgeAnchorPayload,
): PurgeAnchor {
  return { ...payload, signature: signer.signRecord(payload) };
}

/** True when the anchor carries a valid signature by a trusted key (never a key from the database). */
export function isPurgeAnchorSigned(signer: CheckpointSigner, anchor: PurgeAnchor): boolean {
  const { signature, ...payload } = anchor;
  return signature.length > 0 && signer.verifyRecord(payload, signature);
}
