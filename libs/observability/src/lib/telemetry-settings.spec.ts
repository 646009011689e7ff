import { ConfigError } from '@gad/config';
import { loadTelemetrySettings } from './telemetry-settings';

describe('loadTelemetrySettings', () => {
  it('refuses OTLP export without a collector endpoint in production, naming the variable', () => {
    const load = () =>
      loadTelemetrySettings('geo-service', {
        NODE_ENV: 'production',
        OTEL_TRACES_EXPORTER: 'otlp',
      });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT: is required in production/);
  });

  it('takes OTLP export with its endpoint in production', () => {
    const settings = loadTelemetrySettings('geo-service', {
      NODE_ENV: 'production',
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318',
    });
    expect(settings).toMatchObject({
      tracesExporter: 'otlp',
      otlpEndpoint: 'http://otel-collector:4318',
    });
  });

  it('keeps the exporter default (localhost) for development', () => {
    expect(
      loadTelemetrySettings('geo-service', {
        NODE_ENV: 'development',
        OTEL_TRACES_EXPORTER: 'otlp',
      }),
    ).toMatchObject({ tracesExporter: 'otlp', otlpEndpoint: undefined });
  });
});
