import { z } from 'zod';
import { ConfigError, loadConfig } from './load-config';
import { databaseEnvSchema, envInt, serviceEnvSchema } from './env-schemas';
import { apiGatewayEnvSchema } from './services/api-gateway.env';
import { geoServiceEnvSchema } from './services/geo-service.env';
import { notificationServiceEnvSchema } from './services/notification-service.env';

const schema = serviceEnvSchema.extend(databaseEnvSchema.shape).extend({
  PORT: envInt(3000, 1, 65535),
  JWT_SECRET: z.string().min(32),
});

describe('loadConfig', () => {
  it('returns typed values with defaults applied', () => {
    const sut = loadConfig('api-gateway', schema, { PORT: '8080', JWT_SECRET: 'x'.repeat(32) });
    expect(sut.PORT).toBe(8080);
    expect(sut.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(sut.LOG_LEVEL).toBe('info');
  });

  it('fails listing every bad variable by name, sorted, without echoing values', () => {
    const secret = 'short-secret-value';
    let error: unknown;
    try {
      loadConfig('api-gateway', schema, {
        PORT: 'eighty',
        JWT_SECRET: secret,
        DATABASE_URL: 'mysql://nope',
        LOG_LEVEL: 'loud',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.issues.map((issue) => issue.name)).toEqual([
      'DATABASE_URL',
      'JWT_SECRET',
      'LOG_LEVEL',
      'PORT',
    ]);
    expect(configError.message).toContain('api-gateway: invalid environment (4 problems)');
    expect(configError.message).not.toContain(secret);
    expect(configError.message).not.toContain('mysql://nope');
  });

  it('reports a missing required variable as required', () => {
    expect(() => loadConfig('x', schema, {})).toThrow(/JWT_SECRET: is required/);
  });
});

describe('the outbox relay settings every service with an outbox shares', () => {
  const services = [
    ['api-gateway', apiGatewayEnvSchema],
    ['geo-service', geoServiceEnvSchema],
    ['notification-service', notificationServiceEnvSchema],
  ] as const;

  it.each(services)('%s takes a coalescing window of 0 to 1,000 ms', (_, sut) => {
    expect(sut.shape.OUTBOX_COALESCE_MS.parse('0')).toBe(0);
    expect(sut.shape.OUTBOX_COALESCE_MS.parse('25')).toBe(25);
    expect(sut.shape.OUTBOX_POLL_MS.parse(undefined)).toBe(200);
    expect(sut.shape.OUTBOX_COALESCE_MS.safeParse('-1').success).toBe(false);
    expect(sut.shape.OUTBOX_COALESCE_MS.safeParse('5000').success).toBe(false);
  });

  it('lets the gateway coalesce 10 ms of commits and relays the other services at once', () => {
    // ADR 0045: the gateway's commits (every REST write) share passes under load; geo-service's
    // geofence events and notification-service's commands to devices go at each commit.
    expect(apiGatewayEnvSchema.shape.OUTBOX_COALESCE_MS.parse(undefined)).toBe(10);
    expect(geoServiceEnvSchema.shape.OUTBOX_COALESCE_MS.parse(undefined)).toBe(0);
    expect(notificationServiceEnvSchema.shape.OUTBOX_COALESCE_MS.parse(undefined)).toBe(0);
  });
});
