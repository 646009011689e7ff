import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import { AuditRecorder } from '@gad/audit';
import { BusClient, RpcRemoteError, connectBusTransport } from '@gad/bus';
import { loadConfig } from '@gad/config';
import {
  AUDIT_EVENTS_STREAM,
  AUDIT_RPC_SERVICE,
  AuditRpcPatterns,
  envelopeSchema,
  type AuditQueryReply,
  type AuditVerifyReply,
} from '@gad/contracts';
import { bootstrapService } from '@gad/platform';
import {
  createTestDatabase,
  deleteKeysWithPrefix,
  freePort,
  testStack,
  uniqueId,
  uniqueRedisPrefix,
  waitFor,
  type TestDatabase,
} from '@gad/testing';
import { AppModule } from '../src/app.module';
import { auditLogWorkerEnvSchema } from '../src/audit-log-worker.config';
import { CheckpointSigner } from '../src/chain/checkpoint-signer';
import { readWitness } from '../src/witness/witness-log';
import { newSigningKey } from './support/audit-worker.harness';

describe('audit-log-worker app (Nest wiring and bus RPCs, real PostgreSQL and Redis)', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;
  let recorder: AuditRecorder;
  let bus: BusClient;
  let inspector: Redis;
  const keyPrefix = uniqueRedisPrefix();
  const requestedBy = { actor: { kind: 'user' as const, id: 'auditor-9', roles: ['auditor'] } };
  const signingKey = newSigningKey();
  let witnessDir: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    witnessDir = await mkdtemp(join(tmpdir(), 'gad-witness-app-'));
    const port = await freePort();
    const env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      PORT: String(port),
      DATABASE_URL: database.url,
      REDIS_URL: testStack.redisUrl,
      REDIS_KEY_PREFIX: keyPrefix,
      AUDIT_SIGNING_KEY: signingKey,
      AUDIT_CHECKPOINT_EVERY: '3',
      AUDIT_WITNESS_DIR: witnessDir,
    };
    const config = loadConfig('audit-log-worker', auditLogWorkerEnvSchema, env);
    app = await bootstrapService({
      name: 'audit-log-worker',
      module: AppModule.forRoot(config, 'audit-log-worker:test'),
      port,
      host: '127.0.0.1',
      handleSignals: false,
      env,
      configure: async (nest) => {
        await connectBusTransport(nest, {
          redis: config.REDIS_URL,
          prefix: keyPrefix,
          service: AUDIT_RPC_SERVICE,
          consumer: 'audit-log-worker:test',
          streams: [],
          rpc: true,
        });
      },
    });
    recorder = new AuditRecorder({
      service: 'api-gateway',
      redisUrl: testStack.redisUrl,
      keyPrefix,
    });
    bus = new BusClient({
      redis: testStack.redisUrl,
      prefix: keyPrefix,
      instanceId: uniqueId('caller'),
    });
    inspector = new Redis(testStack.redisUrl);
  });

  afterAll(async () => {
    await recorder.close();
    await bus.close();
    await app.close();
    await deleteKeysWithPrefix(inspector, keyPrefix);
    inspector.disconnect();
    await database.drop();
    await rm(witnessDir, { recursive: true, force: true });
  });

  it('stores recorded entries and answers audit.query and audit.verify over the bus', async () => {
    const agencyId = uniqueId('ag');
    for (let i = 0; i < 4; i += 1) {
      recorder.record({
        agencyId,
        actor: { kind: 'user', id: 'u1', roles: ['dispatcher'] },
        action: 'dispatch.decision',
        object: { type: 'assignment', id: `as-${i}` },
      });
    }
    const page = await waitFor(
      async () => {
        const reply = await bus.request<AuditQueryReply>(
          AUDIT_RPC_SERVICE,
          AuditRpcPatterns.Query,
          {
            agencyId,
            requestedBy,
            action: 'dispatch.decision',
          },
        );
        return reply.items.length === 4 ? reply : undefined;
      },
      { description: 'four entries queryable', timeoutMs: 15_000 },
    );
    expect(page.items.map((item) => item.entry.object?.id).sort()).toEqual([
      'as-0',
      'as-1',
      'as-2',
      'as-3',
    ]);
    const seqs = page.items.map((item) => item.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));

    const verified = await bus.request<AuditVerifyReply>(
      AUDIT_RPC_SERVICE,
      AuditRpcPatterns.Verify,
      {
        agencyId,
        requestedBy,
      },
    );
    expect(verified).toMatchObject({ agencyId, valid: true, anchoredAt: 'genesis' });
    expect(verified.entriesChecked).toBeGreaterThanOrEqual(4);

    // A checkpoint was signed and published outside the database.
    const published = await waitFor(
      async () => {
        const entries = await inspector.xrange(`${keyPrefix}${AUDIT_EVENTS_STREAM}`, '-', '+');
        const envelopes = entries
          .map(([, fields]) =>
            envelopeSchema.parse(JSON.parse(fields[fields.indexOf('envelope') + 1] ?? '{}')),
          )
          .filter((envelope) => envelope.agencyId === agencyId);
        return envelopes.length > 0 ? envelopes : undefined;
      },
      { description: 'audit.checkpoint published' },
    );
    // The first checkpoint of the chain (every 3 entries; batches decide where exactly).
    expect(published[0]).toMatchObject({
      type: 'audit.checkpoint',
      data: { agencyId, prevCheckpointSeq: 0 },
    });
    const first = published[0]?.data as { seq: number; count: number };
    expect(first.seq).toBeGreaterThanOrEqual(3);
    expect(first.count).toBe(first.seq);

    // ...and written to the witness (AUDIT_WITNESS_DIR), with the write segments from entry 1.
    const signer = new CheckpointSigner(signingKey);
    const witnessed = await waitFor(
      async () => {
        const witness = await readWitness(witnessDir, signer);
        const mine = witness.forAgency(agencyId);
        return mine.checkpoints.length > 0 ? { witness, mine } : undefined;
      },
      { description: 'checkpoint in the witness' },
    );
    expect(witnessed.witness.problems).toEqual([]);
    expect(witnessed.mine.checkpoints[0]).toMatchObject({ seq: first.seq });
    expect(Math.min(...witnessed.mine.segments.map((segment) => segment.fromSeq))).toBe(1);

    // audit.verify (GET /v1/audit/verify) checks against that witness and says so.
    const againstWitness = await bus.request<AuditVerifyReply>(
      AUDIT_RPC_SERVICE,
      AuditRpcPatterns.Verify,
      { agencyId, requestedBy },
    );
    expect(againstWitness).toMatchObject({ valid: true, witness: { checked: true } });
    expect(againstWitness.witness?.files).toBeGreaterThanOrEqual(1);
    expect(againstWitness.witnessedThroughSeq).toBeGreaterThanOrEqual(first.seq);

    // A witness line that does not verify (here a forged file) makes the answer invalid.
    const forged = join(witnessDir, 'zz-forged.jsonl');
    await writeFile(forged, '{"v":1,"n":0,"prev":"","record":{"kind":"segment"},"sig":"x"}\n');
    try {
      const doubted = await bus.request<AuditVerifyReply>(
        AUDIT_RPC_SERVICE,
        AuditRpcPatterns.Verify,
        { agencyId, requestedBy },
      );
      expect(doubted).toMatchObject({
        valid: false,
        witness: { checked: true },
        firstBreak: { reason: 'witness_invalid' },
      });
    } finally {
      await rm(forged);
    }
  });

  it('replies to a bad request with a typed error', async () => {
    await expect(
      bus.request(AUDIT_RPC_SERVICE, AuditRpcPatterns.Query, {
        agencyId: 'x',
        requestedBy,
        limit: 0,
      }),
    ).rejects.toMatchObject({ name: RpcRemoteError.name, code: 'validation_failed' });
    await expect(
      bus.request(AUDIT_RPC_SERVICE, AuditRpcPatterns.Query, {
        agencyId: 'x',
        requestedBy,
        cursor: 'zz',
      }),
    ).rejects.toMatchObject({ code: 'audit_invalid_cursor' });
  });
});
