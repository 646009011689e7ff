import { Inject, Injectable } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { createLogger } from '@gad/observability';
import { REDIS_CLIENT } from '@gad/platform';
import type { Redis } from 'ioredis';
import { API_GATEWAY_CONFIG, type ApiGatewayConfig } from '../api-gateway.config';

const locks = metrics.getMeter('api-gateway').createCounter('gad_auth_throttle_locks_total', {
  description:
    'Temporary login locks set by failed logins, by scope (pair: one account from one source; ' +
    'source: one address over all accounts; account: one account from all sources = sustained attack)',
});
const failures = metrics.getMeter('api-gateway').createCounter('gad_auth_login_failures_total', {
  description: 'Failed login and second-factor attempts',
});

/**
 * Counts failures of the scopes ARGV[5..] (count field, lock field, free attempts) in one hash:
 * beyond the free attempts each failure sets a lock of base * 2^(excess - 1) s, at most max s.
 * Returns, per scope, the failures and the lock set now (ms, 0 = none). Redis' own clock.
 */
const FAIL_SCRIPT = `
local base_ms = tonumber(ARGV[1]) * 1000
local max_ms = tonumber(ARGV[2]) * 1000
local window_ms = tonumber(ARGV[3]) * 1000
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local result = {}
for i = 5, #ARGV, 3 do
  local count = redis.call('HINCRBY', KEYS[1], ARGV[i], 1)
  local free = tonumber(ARGV[i + 2])
  local lock = 0
  if count > free then
    lock = math.min(base_ms * (2 ^ math.min(count - free - 1, 30)), max_ms)
    redis.call('HSET', KEYS[1], ARGV[i + 1], now + lock)
  end
  table.insert(result, count)
  table.insert(result, lock)
end
redis.call('PEXPIRE', KEYS[1], math.max(window_ms, max_ms))
return result`;

/** The longest lock still running among the fields ARGV of KEYS[1], in ms (0 = none). */
const CHECK_SCRIPT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local longest = 0
for _, value in ipairs(redis.call('HMGET', KEYS[1], unpack(ARGV))) do
  local left = (tonumber(value) or 0) - now
  if left > longest then longest = left end
end
return longest`;

export type ThrottleScope = 'pair' | 'source' | 'account';

export interface FailureOutcome {
  /** Scopes that got a lock now (a `account` lock is a sustained attack on one account). */
  locked: Array<{ scope: ThrottleScope; seconds: number }>;
  accountFailures: number;
}

const accountKey = (account: string): string => `auth:throttle:account:${account}`;
const sourceKey = (source: string): string => `auth:throttle:source:${source}`;

/**
 * Failed-login throttling instead of a lockout anyone could trigger (docs/adr/0023). Failures are
 * counted per account and source address (the dispatcher at another console is not slowed), per
 * source over all accounts (password spraying), and per account over all sources (a sustained,
 * distributed attack). Beyond each scope's free attempts every failure doubles a temporary lock;
 * counters expire after a quiet window. An admin's unlock clears an account's counters.
 * Redis failing leaves logins unthrottled (argon2 still slows each guess) and logs a warning.
 */
@Injectable()
export class LoginThrottle {
  private readonly logger = createLogger('login-throttle');

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(API_GATEWAY_CONFIG) private readonly config: ApiGatewayConfig,
  ) {
    // Exported from the start, so the alerts on attacks always have a series.
    locks.add(0, { scope: 'account' });
    failures.add(0);
  }

  /** Seconds until `account` may try again from `source` (0: now). */
  async retryAfter(account: string, source: string): Promise<number> {
    try {
      const [byAccount, bySource] = await Promise.all([
        this.redis.eval(CHECK_SCRIPT, 1, accountKey(account), 'until', `until:${source}`),
        this.redis.eval(CHECK_SCRIPT, 1, sourceKey(source), 'until'),
      ]);
      return Math.ceil(Math.max(Number(byAccount), Number(bySource), 0) / 1000);
    } catch (error) {
      this.logger.warn({ error: (error as Error).message }, 'login throttle not checked');
      return 0;
    }
  }

  /** Counts a failed attempt of `account` from `source`. */
  async failed(account: string, source: string): Promise<FailureOutcome> {
    failures.add(1);
    const c = this.config;
    const shared = [c.AUTH_THROTTLE_BASE_DELAY_SECONDS, c.AUTH_THROTTLE_MAX_DELAY_SECONDS];
    const window = c.AUTH_LOCKOUT_WINDOW_SECONDS;
    try {
      const [byAccount, bySource] = (await Promise.all([
        this.redis.eval(
          FAIL_SCRIPT,
          1,
          accountKey(account),
          ...shared,
          window,
          0,
          `n:${source}`,
          `until:${source}`,
          c.AUTH_THROTTLE_FREE_ATTEMPTS,
          'n',
          'until',
          c.AUTH_THROTTLE_ACCOUNT_FREE_ATTEMPTS,
        ),
        this.redis.eval(
          FAIL_SCRIPT,
          1,
          sourceKey(source),
          ...shared,
          window,
          0,
          'n',
          'until',
          c.AUTH_THROTTLE_SOURCE_FREE_ATTEMPTS,
        ),
      ])) as [number[], number[]];
      const locked: FailureOutcome['locked'] = [];
      const note = (scope: ThrottleScope, lockMs: number | undefined): void => {
        if (lockMs && lockMs > 0) {
          locks.add(1, { scope });
          locked.push({ scope, seconds: Math.ceil(lockMs / 1000) });
        }
      };
      note('pair', byAccount[1]);
      note('account', byAccount[3]);
      note('source', bySource[1]);
      if (locked.some((lock) => lock.scope === 'account')) {
        this.logger.warn(
          { account, failures: byAccount[2] },
          'sustained login attack on one account: temporarily locked',
        );
      }
      return { locked, accountFailures: byAccount[2] ?? 0 };
    } catch (error) {
      this.logger.warn({ error: (error as Error).message }, 'failed login not counted');
      return { locked: [], accountFailures: 0 };
    }
  }

  /** A successful login from `source` clears that pair's failures. */
  async succeeded(account: string, source: string): Promise<void> {
    try {
      await this.redis.hdel(accountKey(account), `n:${source}`, `until:${source}`);
    } catch {
      // counters expire on their own
    }
  }

  /** An admin's unlock: every counter and lock of the account. */
  async clear(account: string): Promise<void> {
    await this.redis.del(accountKey(account));
  }
}
