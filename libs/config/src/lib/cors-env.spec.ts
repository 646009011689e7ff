import { ConfigError } from './load-config';
import { corsEnvSchema, corsSettingsOf } from './env-schemas';

describe('CORS_ORIGINS / CORS_ALLOW_CREDENTIALS', () => {
  it('is empty (no CORS) by default', () => {
    expect(corsSettingsOf('t', corsEnvSchema.parse({}))).toEqual({
      origins: [],
      credentials: false,
    });
  });

  it('takes a comma list of exact origins', () => {
    const env = corsEnvSchema.parse({
      CORS_ORIGINS: ' http://127.0.0.1:3005, https://console.example.org ,',
    });
    expect(corsSettingsOf('t', env).origins).toEqual([
      'http://127.0.0.1:3005',
      'https://console.example.org',
    ]);
  });

  it.each([
    'https://console.example.org/',
    'console.example.org',
    'ftp://x.example',
    'https://a.example/app',
  ])('refuses %s (not an exact origin)', (origin) => {
    expect(corsEnvSchema.safeParse({ CORS_ORIGINS: origin }).success).toBe(false);
  });

  it('refuses * while credentials are allowed, accepts it without', () => {
    const wildcard = corsEnvSchema.parse({ CORS_ORIGINS: '*', CORS_ALLOW_CREDENTIALS: 'true' });
    expect(() => corsSettingsOf('t', wildcard)).toThrow(ConfigError);
    expect(corsSettingsOf('t', corsEnvSchema.parse({ CORS_ORIGINS: '*' })).origins).toEqual(['*']);
  });
});
