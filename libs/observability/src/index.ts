export {
  startTelemetry,
  shutdownTelemetry,
  isTelemetryStarted,
  getFinishedSpans,
  resetSpans,
  renderMetrics,
  getMeter,
  type StartTelemetryOptions,
  type TelemetryHandle,
  type RenderedMetrics,
} from './lib/telemetry';
export { telemetrySettings, type TelemetrySettings } from './lib/telemetry-settings';
export {
  currentTraceId,
  currentSpanId,
  currentTraceparent,
  contextFromTraceparent,
} from './lib/trace-context';
export {
  createLogger,
  NestPinoLogger,
  REDACTED_PATHS,
  type CreateLoggerOptions,
  type Logger,
} from './lib/logger';
