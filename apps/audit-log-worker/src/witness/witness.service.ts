import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { createLogger } from '@gad/observability';
import { GENESIS_HASH } from '../chain/chain-hash';
import { CheckpointSigner } from '../chain/checkpoint-signer';
import { WITNESS_LINE_VERSION, witnessLine, type WitnessRecord } from './witness-log';

export interface WitnessOptions {
  /** Directory of the append-only witness files (`AUDIT_WITNESS_DIR`); unset: no witness. */
  dir: string | undefined;
}

export const WITNESS_OPTIONS = Symbol('WITNESS_OPTIONS');

/** Records kept for a retry while the witness cannot be written. */
const MAX_PENDING = 100_000;

/**
 * Appends what the database commits (each write transaction's segment of a chain, signed
 * checkpoints, signed purge anchors) to this process's own witness file, `O_APPEND`, one signed and
 * hash-linked line per record, `fdatasync` after each write (docs/adr/0022). Writes are serialised
 * and coalesced: records queued while one write is under way go out together in the next one. A
 * failed write is logged, its records are kept and retried in a new file (the old file's chain may
 * end in a torn line).
 */
@Injectable()
export class WitnessService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = createLogger('audit-witness');
  private readonly failures = metrics
    .getMeter('audit-log-worker')
    .createCounter('gad_audit_witness_write_failures_total', {
      description: 'Failed writes to the audit witness (records kept and retried)',
    });
  private pending: WitnessRecord[] = [];
  private queue: Promise<void> = Promise.resolve();
  private handle: FileHandle | undefined;
  private fileIndex = 0;
  private lineCount = 0;
  private prevHash = GENESIS_HASH;
  private readonly started = new Date().toISOString().replace(/[-:.]/g, '');

  constructor(
    private readonly signer: CheckpointSigner,
    @Inject(WITNESS_OPTIONS) private readonly options: WitnessOptions,
  ) {
    // Exported from the start (at 0), so its alert has a series to watch.
    this.failures.add(0);
  }

  get enabled(): boolean {
    return Boolean(this.options.dir);
  }

  /** Says at boot when the chain has no witness: tampering by a database superuser goes unseen. */
  onApplicationBootstrap(): void {
    if (!this.enabled) {
      this.logger.warn(
        'AUDIT_WITNESS_DIR is not set: the audit chain has no witness outside the database ' +
          '(docs/adr/0022)',
      );
    }
  }

  /**
   * Queues records (in commit order) and resolves once they are on disk, or once the write failed
   * (logged, kept for the next write). Never rejects.
   */
  append(records: readonly WitnessRecord[]): Promise<void> {
    if (!this.enabled || records.length === 0) {
      return this.queue;
    }
    this.pending.push(...records);
    return this.flush();
  }

  /** Writes whatever is queued; resolves when done. */
  flush(): Promise<void> {
    this.queue = this.queue.then(() => this.writePending());
    return this.queue;
  }

  async onModuleDestroy(): Promise<void> {
    await this.flush();
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
  }

  private async writePending(): Promise<void> {
    if (this.pending.length === 0 || !this.options.dir) {
      return;
    }
    const batch = this.pending;
    this.pending = [];
    try {
      const handle = await this.open(this.options.dir);
      const at = new Date().toISOString();
      let n = this.lineCount;
      let prev = this.prevHash;
      let text = '';
      for (const record of batch) {
        n += 1;
        const line = witnessLine(this.signer, {
          v: WITNESS_LINE_VERSION,
          n,
          prev,
          at,
          keyId: this.signer.keyId,
          record,
        });
        text += `${line.text}\n`;
        prev = line.hash;
      }
      await handle.write(text);
      await handle.datasync();
      this.lineCount = n;
      this.prevHash = prev;
    } catch (error) {
      this.failures.add(1);
      this.pending = [...batch, ...this.pending].slice(-MAX_PENDING);
      await this.handle?.close().catch(() => undefined);
      this.handle = undefined;
      this.logger.error(
        { records: batch.length, error: (error as Error).message },
        'writing the audit witness failed (records kept; retried in a new file)',
      );
    }
  }

  private async open(dir: string): Promise<FileHandle> {
    if (!this.handle) {
      await mkdir(dir, { recursive: true });
      this.fileIndex += 1;
      const name = `${this.started}-${hostname()}-${process.pid}-${this.fileIndex}.jsonl`;
      this.handle = await open(join(dir, name), 'a', 0o640);
      this.lineCount = 0;
      this.prevHash = GENESIS_HASH;
    }
    return this.handle;
  }
}
