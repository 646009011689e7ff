import { randomBytes } from 'node:crypto';
import { SecretBox } from './secret-box';

describe('SecretBox', () => {
  const k1 = randomBytes(32).toString('base64');
  const k2 = randomBytes(32).toString('base64');

  it('seals with the current key and opens what it sealed', () => {
    const sut = SecretBox.fromEnv(k1, 'k1');
    const sealed = sut.seal('whsec_abc', 'webhook:a:1');
    expect(sealed.keyId).toBe('k1');
    expect(sealed.ciphertext).not.toContain('whsec_abc');
    expect(sut.open(sealed, 'webhook:a:1')).toBe('whsec_abc');
    // A fresh IV each time.
    expect(sut.seal('whsec_abc', 'webhook:a:1').ciphertext).not.toBe(sealed.ciphertext);
  });

  it('refuses a secret moved to another row or tampered with', () => {
    const sut = SecretBox.fromEnv(k1, 'k1');
    const sealed = sut.seal('whsec_abc', 'webhook:a:1');
    expect(() => sut.open(sealed, 'webhook:a:2')).toThrow();
    const [iv, ct, tag] = sealed.ciphertext.split('.');
    const flipped = Buffer.from(ct as string, 'base64');
    flipped[0] = (flipped[0] as number) ^ 1;
    expect(() =>
      sut.open(
        { keyId: 'k1', ciphertext: [iv, flipped.toString('base64'), tag].join('.') },
        'webhook:a:1',
      ),
    ).toThrow();
  });

  it('rotates: a new current key still opens what the previous one sealed', () => {
    const old = SecretBox.fromEnv(k1, 'k1').seal('whsec_old', 'aad');
    const sut = SecretBox.fromEnv(k2, 'k2', `k1:${k1}`);
    expect(sut.open(old, 'aad')).toBe('whsec_old');
    expect(sut.seal('whsec_new', 'aad').keyId).toBe('k2');
    expect(() => SecretBox.fromEnv(k2, 'k2').open(old, 'aad')).toThrow(/k1/);
  });

  it('refuses keys that are not 32 bytes', () => {
    expect(() => SecretBox.fromEnv(randomBytes(16).toString('base64'), 'k1')).toThrow(/32 bytes/);
    expect(() => SecretBox.fromEnv(k1, 'k1', 'no-separator')).toThrow();
  });
});
