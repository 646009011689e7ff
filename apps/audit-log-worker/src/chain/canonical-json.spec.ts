import { createAuditSigningKeyPem } from '@gad/testing';
import { canonicalJson } from './canonical-json';
import { GENESIS_HASH, chainHash } from './chain-hash';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { CheckpointSigner, SigningKeyError, type CheckpointPayload } from './checkpoint-signer';

describe('canonicalJson', () => {
  it('sorts keys at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}',
    );
  });

  it('is independent of insertion order and drops undefined members', () => {
    expect(canonicalJson({ x: 1, y: undefined, w: 'é\n' })).toBe(canonicalJson({ w: 'é\n', x: 1 }));
    expect(canonicalJson([undefined, -0, 1e21, 0.1])).toBe('[null,0,1e+21,0.1]');
  });

  it('gives the same text after a JSON round trip (as through jsonb)', () => {
    const entry = { z: [1.5, 'a"b'], a: { nested: { k: 1e-7 } } };
    expect(canonicalJson(JSON.parse(JSON.stringify(entry)))).toBe(canonicalJson(entry));
  });

  it('sorts keys that look like array indexes as text too, and keeps a __proto__ member', () => {
    expect(canonicalJson({ b: { '10': 1, '9': 2, a: 3 }, a: [{ '2': 0, '1': 0 }] })).toBe(
      '{"a":[{"1":0,"2":0}],"b":{"10":1,"9":2,"a":3}}',
    );
    expect(canonicalJson(JSON.parse('{"z":1,"__proto__":{"y":2,"x":1}}'))).toBe(
      '{"__proto__":{"x":1,"y":2},"z":1}',
    );
  });

  it('rejects values JSON cannot hold', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson({ b: BigInt(1) })).toThrow(TypeError);
    expect(() => canonicalJson({ a: [{ f: () => 1 }] })).toThrow(TypeError);
    expect(() => canonicalJson({ '1': { n: Number.POSITIVE_INFINITY } })).toThrow(TypeError);
  });
});

describe('chainHash', () => {
  it('is SHA-256 of the previous hash followed by the canonical JSON', () => {
    const expected = createHash('sha256').update(`${GENESIS_HASH}{"a":1,"b":2}`).digest('hex');
    expect(chainHash(GENESIS_HASH, { b: 2, a: 1 })).toBe(expected);
    expect(chainHash(expected, { a: 1, b: 2 })).not.toBe(expected);
  });
});

describe('CheckpointSigner', () => {
  const pem = createAuditSigningKeyPem();
  const payload = (keyId: string): CheckpointPayload => ({
    checkpointId: 'c1',
    agencyId: 'a1',
    seq: 10,
    headHash: 'f'.repeat(64),
    count: 10,
    prevCheckpointSeq: 0,
    createdAt: '2026-11-22T00:00:00.000Z',
    keyId,
  });

  it('signs and verifies, and rejects a changed payload', () => {
    const sut = new CheckpointSigner(pem);
    const signature = sut.sign(payload(sut.keyId));
    expect(sut.verify(payload(sut.keyId), signature)).toBe(true);
    expect(sut.verify({ ...payload(sut.keyId), seq: 11 }, signature)).toBe(false);
  });

  it('reads base64 PKCS#8 DER and verifies with a public key only', () => {
    const keys = generateKeyPairSync('ed25519');
    const der = keys.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
    const signer = new CheckpointSigner(der);
    const verifier = new CheckpointSigner(undefined, [
      keys.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    ]);
    const signature = signer.sign(payload(signer.keyId));
    expect(verifier.verify(payload(signer.keyId), signature)).toBe(true);
    expect(new CheckpointSigner(pem).verify(payload(signer.keyId), signature)).toBe(false);
  });

  it('refuses a non-Ed25519 key', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();
    expect(() => new CheckpointSigner(rsa)).toThrow(SigningKeyError);
  });
});
