import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** A sealed secret as stored: the id of the key and `base64(iv).base64(ciphertext).base64(tag)`. */
export interface SealedSecret {
  keyId: string;
  ciphertext: string;
}

/**
 * AES-256-GCM with a key ring: secrets are sealed with the current key and opened with the key they
 * name, so a new key can be introduced while older ones still open what they sealed (rotation: see
 * docs/operations/runbooks.md). Keys are 32 bytes; `aad` binds a sealed secret to its row.
 */
export class SecretBox {
  private readonly keys: ReadonlyMap<string, Buffer>;

  constructor(
    private readonly currentKeyId: string,
    keys: ReadonlyMap<string, Buffer>,
  ) {
    for (const [id, key] of keys) {
      if (key.length !== 32) {
        throw new Error(`secret key ${id} must be 32 bytes (base64 of 32 random bytes)`);
      }
    }
    if (!keys.has(currentKeyId)) {
      throw new Error(`the current secret key ${currentKeyId} is not in the key ring`);
    }
    this.keys = keys;
  }

  /**
   * From the environment: `current` is `<base64 32 bytes>`, named `currentId`; `previous` is a
   * comma-separated list of `<id>:<base64 32 bytes>` still accepted for opening.
   */
  static fromEnv(current: string, currentId: string, previous = ''): SecretBox {
    const keys = new Map<string, Buffer>([[currentId, Buffer.from(current, 'base64')]]);
    for (const entry of previous
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean)) {
      const separator = entry.indexOf(':');
      if (separator <= 0) {
        throw new Error('previous secret keys are <id>:<base64>, comma-separated');
      }
      const id = entry.slice(0, separator);
      if (!keys.has(id)) {
        keys.set(id, Buffer.from(entry.slice(separator + 1), 'base64'));
      }
    }
    return new SecretBox(currentId, keys);
  }

  get keyId(): string {
    return this.currentKeyId;
  }

  seal(plaintext: string, aad: string): SealedSecret {
    const key = this.keys.get(this.currentKeyId) as Buffer;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return {
      keyId: this.currentKeyId,
      ciphertext: [iv, ciphertext, tag].map((b) => b.toString('base64')).join('.'),
    };
  }

  /** Throws when the key is unknown or the ciphertext, its tag or `aad` do not match. */
  open(sealed: SealedSecret, aad: string): string {
    const key = this.keys.get(sealed.keyId);
    if (!key) {
      throw new Error(`secret key ${sealed.keyId} is not configured`);
    }
    const [iv, ciphertext, tag] = sealed.ciphertext.split('.').map((p) => Buffer.from(p, 'base64'));
    if (!iv || !ciphertext || !tag) {
      throw new Error('malformed sealed secret');
    }
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  }
}
