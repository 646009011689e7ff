import {
  createHash,
  createPrivateKey,
  createPublicKey,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { canonicalJson } from './canonical-json';

/** The signed part of a checkpoint (everything but the signature). */
export interface CheckpointPayload {
  checkpointId: string;
  agencyId: string;
  seq: number;
  headHash: string;
  count: number;
  prevCheckpointSeq: number;
  createdAt: string;
  keyId: string;
}

/** Any signed record: its canonical JSON is signed, and it names the key that signed it. */
export interface SignedRecordPayload {
  keyId: string;
}

/** Thrown at boot when a configured key cannot be read. */
export class SigningKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SigningKeyError';
  }
}

function readPrivateKey(material: string): KeyObject {
  const text = material.trim();
  try {
    const key = text.startsWith('-----BEGIN')
      ? createPrivateKey(text)
      : createPrivateKey({ key: Buffer.from(text, 'base64'), format: 'der', type: 'pkcs8' });
    if (key.asymmetricKeyType !== 'ed25519') {
      throw new SigningKeyError(`AUDIT_SIGNING_KEY is a ${key.asymmetricKeyType} key, not ed25519`);
    }
    return key;
  } catch (error) {
    if (error instanceof SigningKeyError) {
      throw error;
    }
    throw new SigningKeyError('AUDIT_SIGNING_KEY is not an Ed25519 PKCS#8 key (PEM or base64 DER)');
  }
}

function readPublicKey(material: string): KeyObject {
  const text = material.trim();
  try {
    const key = text.startsWith('-----BEGIN')
      ? createPublicKey(text)
      : createPublicKey({ key: Buffer.from(text, 'base64'), format: 'der', type: 'spki' });
    if (key.asymmetricKeyType !== 'ed25519') {
      throw new Error('not ed25519');
    }
    return key;
  } catch {
    throw new SigningKeyError(
      'a verification key is not an Ed25519 SPKI public key (PEM or base64 DER)',
    );
  }
}

/** Key id: first 16 hex characters of SHA-256 over the SPKI DER of the public key. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ format: 'der', type: 'spki' }))
    .digest('hex')
    .slice(0, 16);
}

/**
 * Signs checkpoints with the Ed25519 key from `AUDIT_SIGNING_KEY` and verifies them against that key's
 * public half and any extra trusted public keys (earlier keys after a rotation). Verification never
 * trusts a key stored in the database.
 */
export class CheckpointSigner {
  readonly keyId: string;
  private readonly privateKey: KeyObject | undefined;
  private readonly trusted = new Map<string, KeyObject>();

  constructor(signingKey: string | undefined, extraPublicKeys: readonly string[] = []) {
    if (signingKey) {
      this.privateKey = readPrivateKey(signingKey);
      const publicKey = createPublicKey(this.privateKey);
      this.keyId = keyIdOf(publicKey);
      this.trusted.set(this.keyId, publicKey);
    } else {
      this.keyId = '';
    }
    for (const material of extraPublicKeys) {
      const publicKey = readPublicKey(material);
      this.trusted.set(keyIdOf(publicKey), publicKey);
    }
    if (this.trusted.size === 0) {
      throw new SigningKeyError('no signing key and no verification key configured');
    }
  }

  /** Base64 Ed25519 signature over the canonical JSON of `payload`. */
  sign(payload: CheckpointPayload): string {
    return this.signRecord(payload);
  }

  /** True when `signature` is a valid signature of `payload` by a trusted key with `payload.keyId`. */
  verify(payload: CheckpointPayload, signature: string): boolean {
    return this.verifyRecord(payload, signature);
  }

  /**
   * Base64 Ed25519 signature over the canonical JSON of any signed record that names its key
   * (purge anchors, witness lines).
   */
  signRecord<T extends SignedRecordPayload>(payload: T): string {
    if (!this.privateKey) {
      throw new SigningKeyError('no AUDIT_SIGNING_KEY: this instance can only verify');
    }
    return sign(null, Buffer.from(canonicalJson(payload), 'utf8'), this.privateKey).toString(
      'base64',
    );
  }

  /** True when `signature` is a valid signature of `payload` by a trusted key with `payload.keyId`. */
  verifyRecord<T extends SignedRecordPayload>(payload: T, signature: string): boolean {
    const key = this.trusted.get(payload.keyId);
    if (!key) {
      return false;
    }
    try {
      return verify(
        null,
        Buffer.from(canonicalJson(payload), 'utf8'),
        key,
        Buffer.from(signature, 'base64'),
      );
    } catch {
      return false;
    }
  }
}
