import { z } from 'zod';
import { ConfigError, loadConfig } from './load-config';
import { databaseEnvSchema, envBool, serviceEnvSchema } from './env-schemas';
import {
  apiGatewayEnvSchema,
  auditLogWorkerEnvSchema,
  geoServiceEnvSchema,
  notificationServiceEnvSchema,
  wsGatewayEnvSchema,
} from './services';
import {
  applyProductionRules,
  productionDefault,
  requiredInProduction,
  variablesRequiredInProduction,
} from './production-rules';

const schema = serviceEnvSchema.extend(databaseEnvSchema.shape).extend({
  API_KEY: requiredInProduction(z.string().min(1).optional()),
  FEATURE: productionDefault('false', envBool(true)),
});

function issuesOf(env: Record<string, string>): string[] {
  try {
    loadConfig('sut', schema, env);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((issue) => `${issue.name}: ${issue.message}`);
  }
}

describe('production rules', () => {
  it('outside production the development defaults apply', () => {
    const sut = loadConfig('sut', schema, { NODE_ENV: 'development' });
    expect(sut.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/gad');
    expect(sut.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(sut.API_KEY).toBeUndefined();
    expect(sut.FEATURE).toBe(true);
    expect(sut.MIGRATIONS_AT_BOOT).toBe(true);
  });

  it('in production every marked variable left unset fails at boot, each named', () => {
    expect(issuesOf({ NODE_ENV: 'production' })).toEqual([
      'API_KEY: is required in production (NODE_ENV=production uses no development default)',
      'DATABASE_URL: is required in production (NODE_ENV=production uses no development default)',
      'HOST: is required in production (NODE_ENV=production uses no development default)',
      'REDIS_URL: is required in production (NODE_ENV=production uses no development default)',
    ]);
  });

  it('in production an empty value counts as unset, and a bad value is still reported once', () => {
    expect(
      issuesOf({
        NODE_ENV: 'production',
        HOST: '0.0.0.0',
        REDIS_URL: 'redis://redis:6379',
        API_KEY: 'key',
        DATABASE_URL: '',
      }),
    ).toEqual([
      'DATABASE_URL: is required in production (NODE_ENV=production uses no development default)',
    ]);
    expect(
      issuesOf({
        NODE_ENV: 'production',
        HOST: '0.0.0.0',
        REDIS_URL: 'http://redis:6379',
        API_KEY: 'key',
        DATABASE_URL: 'postgres://gad@postgres:5432/gad',
      }),
    ).toEqual([
      'REDIS_URL: must be a URL with scheme redis or rediss or redis+cluster or rediss+cluster',
    ]);
  });

  it('in production the production default replaces the development one; explicit values win', () => {
    const env = {
      NODE_ENV: 'production',
      HOST: '0.0.0.0',
      REDIS_URL: 'redis://redis:6379',
      API_KEY: 'key',
      DATABASE_URL: 'postgres://gad@postgres:5432/gad',
    };
    const sut = loadConfig('sut', schema, env);
    expect(sut.FEATURE).toBe(false);
    expect(sut.MIGRATIONS_AT_BOOT).toBe(false);
    expect(
      loadConfig('sut', schema, { ...env, MIGRATIONS_AT_BOOT: 'true' }).MIGRATIONS_AT_BOOT,
    ).toBe(true);
  });

  it('leaves the environment alone outside production', () => {
    const env = { NODE_ENV: 'test' };
    expect(applyProductionRules(schema, env)).toEqual({ env, issues: [] });
  });

  it.each([
    ['api-gateway', apiGatewayEnvSchema, ['DATABASE_URL', 'HOST', 'REDIS_URL']],
    ['audit-log-worker', auditLogWorkerEnvSchema, ['DATABASE_URL', 'HOST', 'REDIS_URL']],
    ['geo-service', geoServiceEnvSchema, ['DATABASE_URL', 'HOST', 'REDIS_URL']],
    ['notification-service', notificationServiceEnvSchema, ['DATABASE_URL', 'HOST', 'REDIS_URL']],
    ['ws-gateway', wsGatewayEnvSchema, ['HOST', 'REDIS_URL']],
  ])('%s: the URLs and the listen address are required in production', (_app, appSchema, names) => {
    expect(variablesRequiredInProduction(appSchema)).toEqual(expect.arrayContaining(names));
  });
});
