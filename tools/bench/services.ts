/*
 * How the benches start the built services: the environment every bench gives them, and the
 * dispatcher token they log in with.
 */
import { createTestKeyPair } from '@gad/testing';

export interface BenchServiceEnvOptions {
  databaseUrl: string;
  redisUrl: string;
  /** The run's own Redis key prefix. */
  prefix: string;
  /** Replicas of one gateway share a key (a token from one is valid on the others). */
  privateKeyPem?: string;
}

/**
 * The environment of a bench's services (geo-service ignores what is the gateway's): quiet logs,
 * the dev login on, and the per-IP and per-user rate limits out of the way (they would answer most
 * of a bench's load with 429). The concurrency limit stays as deployed unless a bench fixes it.
 */
export function benchServiceEnv(options: BenchServiceEnvOptions): Record<string, string> {
  return {
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl,
    REDIS_KEY_PREFIX: options.prefix,
    LOG_LEVEL: 'warn',
    JWT_PRIVATE_KEY: options.privateKeyPem ?? createTestKeyPair().privateKeyPem,
    AUTH_DEV_LOGIN: 'true',
    RATE_LIMIT_IP_POINTS: '10000000',
    RATE_LIMIT_USER_POINTS: '10000000',
  };
}

/** A dispatcher's access token of `agencyId` from the gateway's dev login (`AUTH_DEV_LOGIN=true`). */
export async function devLoginToken(gatewayUrl: string, agencyId: string): Promise<string> {
  const login = await fetch(`${gatewayUrl}/v1/auth/dev-login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ agencyId, userId: 'bench', roles: ['dispatcher'] }),
  });
  if (!login.ok) throw new Error(`dev login answered ${login.status}: ${await login.text()}`);
  const { accessToken } = (await login.json()) as { accessToken: string };
  return accessToken;
}
