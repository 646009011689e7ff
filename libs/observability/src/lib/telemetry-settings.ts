import { ConfigError, loadConfig, serviceEnvSchema, type EnvSource } from '@gad/config';
import { z } from 'zod';

export const telemetryEnvSchema = serviceEnvSchema
  .pick({
    NODE_ENV: true,
    LOG_LEVEL: true,
    OTEL_TRACES_EXPORTER: true,
    OTEL_EXPORTER_OTLP_ENDPOINT: true,
  })
  .extend({
    /** Standard OTel sampler name (read by the SDK itself); set, it overrides our default. */
    OTEL_TRACES_SAMPLER: z.string().min(1).optional(),
  });

export interface TelemetrySettings {
  serviceName: string;
  nodeEnv: 'development' | 'test' | 'production';
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  tracesExporter: 'otlp' | 'memory' | 'none';
  otlpEndpoint?: string;
  /** `OTEL_TRACES_SAMPLER`, when set. */
  tracesSampler?: string;
}

let current: TelemetrySettings | undefined;

/** Validates the telemetry variables of `env` (default: the process environment) and remembers them. */
export function loadTelemetrySettings(serviceName: string, env?: EnvSource): TelemetrySettings {
  const config = loadConfig(serviceName, telemetryEnvSchema, env);
  // The OTLP exporter would fall back to localhost: a production deployment names its collector.
  if (
    config.NODE_ENV === 'production' &&
    config.OTEL_TRACES_EXPORTER === 'otlp' &&
    !config.OTEL_EXPORTER_OTLP_ENDPOINT
  ) {
    throw new ConfigError(serviceName, [
      {
        name: 'OTEL_EXPORTER_OTLP_ENDPOINT',
        message: 'is required in production when OTEL_TRACES_EXPORTER=otlp',
      },
    ]);
  }
  current = {
    serviceName,
    nodeEnv: config.NODE_ENV,
    logLevel: config.LOG_LEVEL,
    tracesExporter: config.OTEL_TRACES_EXPORTER,
    otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
    ...(config.OTEL_TRACES_SAMPLER ? { tracesSampler: config.OTEL_TRACES_SAMPLER } : {}),
  };
  return current;
}

/** Settings of the running process; loaded from the environment on first use if telemetry was not started. */
export function telemetrySettings(): TelemetrySettings {
  return current ?? loadTelemetrySettings('unknown-service');
}
