import { createAuditSigningKeyPem } from '@gad/testing';
import { CheckpointSigner } from '../chain/checkpoint-signer';
import type {
  ChainRepository,
  ChainTransaction,
  CheckpointRecord,
} from '../ingest/chain.repository';
import type { CheckpointPublisher } from './checkpoint.publisher';
import { CheckpointService } from './checkpoint.service';

describe('CheckpointService', () => {
  const signer = new CheckpointSigner(createAuditSigningKeyPem());
  const chains = {} as ChainRepository;
  let publisher: jest.Mocked<CheckpointPublisher>;
  let stored: CheckpointRecord[];
  const tx = (lastSeq: number, hashes: Record<number, string> = {}): ChainTransaction => ({
    head: jest.fn(),
    states: jest.fn(),
    existingIds: jest.fn(),
    insertEntries: jest.fn(),
    hashAt: jest.fn(async (_agencyId: string, seq: number) => hashes[seq]),
    lastCheckpointSeq: jest.fn(async () => lastSeq),
    insertCheckpoint: jest.fn(async (checkpoint: CheckpointRecord) => {
      stored.push(checkpoint);
    }),
  });

  beforeEach(() => {
    stored = [];
    publisher = { publish: jest.fn<Promise<void>, Parameters<CheckpointPublisher['publish']>>() };
    publisher.publish.mockResolvedValue(undefined);
  });

  it('signs a checkpoint once the chain grew by `every`, covering the entries since the last one', async () => {
    const sut = new CheckpointService(chains, signer, publisher, { every: 10, intervalMs: 1_000 });
    expect(
      await sut.checkpointIfDue(tx(5), 'ag', { seq: 14, hash: 'a'.repeat(64) }),
    ).toBeUndefined();
    const checkpoint = await sut.checkpointIfDue(tx(5), 'ag', { seq: 15, hash: 'b'.repeat(64) });
    expect(checkpoint).toMatchObject({ agencyId: 'ag', seq: 15, count: 10, prevCheckpointSeq: 5 });
    const { signature, ...payload } = checkpoint as CheckpointRecord;
    expect(signer.verify(payload, signature)).toBe(true);
    expect(stored).toEqual([checkpoint]);
  });

  it('seals any growth when forced, and nothing when the chain has not moved', async () => {
    const sut = new CheckpointService(chains, signer, publisher, {
      every: 1_000,
      intervalMs: 1_000,
    });
    expect(
      await sut.checkpointIfDue(tx(3), 'ag', { seq: 3, hash: 'c'.repeat(64) }, { force: true }),
    ).toBeUndefined();
    expect(
      await sut.checkpointIfDue(tx(3), 'ag', { seq: 4, hash: 'c'.repeat(64) }, { force: true }),
    ).toMatchObject({
      count: 1,
    });
  });

  it('keeps checkpoints whose publication failed and publishes them with the next ones', async () => {
    const sut = new CheckpointService(chains, signer, publisher, { every: 1, intervalMs: 1_000 });
    const first = await sut.checkpointIfDue(tx(0), 'ag', { seq: 1, hash: 'd'.repeat(64) });
    publisher.publish.mockRejectedValueOnce(new Error('redis down'));
    await sut.committed([first as CheckpointRecord]);
    const second = await sut.checkpointIfDue(tx(1), 'ag', { seq: 2, hash: 'e'.repeat(64) });
    await sut.committed([second as CheckpointRecord]);
    expect(publisher.publish).toHaveBeenLastCalledWith([
      expect.objectContaining({ seq: 1 }),
      expect.objectContaining({ seq: 2 }),
    ]);
  });

  it('detects a chain that no longer chains to the last checkpoint it sealed, and still seals it', async () => {
    const sut = new CheckpointService(chains, signer, publisher, { every: 2, intervalMs: 1_000 });
    const sealed = await sut.checkpointIfDue(tx(0), 'ag', { seq: 2, hash: 'a'.repeat(64) });
    await sut.committed([sealed as CheckpointRecord]);

    // Intact: the entry at 2 still has the sealed hash.
    await sut.checkpointIfDue(tx(2, { 2: 'a'.repeat(64) }), 'ag', { seq: 4, hash: 'b'.repeat(64) });
    expect(sut.tamperDetected).toBe(0);

    // The sealed checkpoint row is gone, the entry at 2 was rewritten, the head cut back.
    expect(
      await sut.checkpointIfDue(tx(0, { 2: 'a'.repeat(64) }), 'ag', {
        seq: 6,
        hash: 'c'.repeat(64),
      }),
    ).toMatchObject({ seq: 6, prevCheckpointSeq: 0 });
    await sut.checkpointIfDue(tx(2, { 2: 'f'.repeat(64) }), 'ag', { seq: 6, hash: 'c'.repeat(64) });
    await sut.checkpointIfDue(tx(0), 'ag', { seq: 1, hash: 'd'.repeat(64) }, { force: true });
    expect(sut.tamperDetected).toBe(3);
  });
});
