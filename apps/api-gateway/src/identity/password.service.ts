import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { argon2id, hash, verify } from 'argon2';

/** OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane. */
const ARGON2_OPTIONS = { type: argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** argon2id hashing of whole passwords (never trimmed or truncated). */
@Injectable()
export class PasswordService {
  /** Verified against when the login names nobody, so both paths cost the same. */
  private readonly decoy: Promise<string> = hash(randomBytes(32), ARGON2_OPTIONS);

  hash(password: string): Promise<string> {
    return hash(password, ARGON2_OPTIONS);
  }

  async verify(passwordHash: string, password: string): Promise<boolean> {
    try {
      return await verify(passwordHash, password);
    } catch {
      return false;
    }
  }

  /** Spends the time of a verification without a user (no timing oracle for unknown logins). */
  async verifyDecoy(password: string): Promise<void> {
    await this.verify(await this.decoy, password);
  }
}
