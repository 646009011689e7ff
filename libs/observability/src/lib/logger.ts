import type { LoggerService, LogLevel as NestLogLevel } from '@nestjs/common';
import { pino, type DestinationStream, type Logger } from 'pino';
import { currentSpanId, currentTraceId } from './trace-context';
import { telemetrySettings } from './telemetry-settings';

export type { Logger } from 'pino';

/** Field names whose values never reach a log line, at the top level and up to three levels deep. */
const SECRET_KEYS = ['authorization', 'password', 'token', 'secret', 'cookie'];
export const REDACTED_PATHS = SECRET_KEYS.flatMap((key) => [
  key,
  `*.${key}`,
  `*.*.${key}`,
  `*.*.*.${key}`,
]);

export interface CreateLoggerOptions {
  /** Where lines go (default: stdout). Tests pass a stream to capture them. */
  destination?: DestinationStream;
  /** Overrides `LOG_LEVEL`. */
  level?: string;
}

/**
 * A JSON pino logger: `service`, `logger` (the given name), `trace_id`/`span_id` of the active span on
 * every line, secrets redacted, level from `LOG_LEVEL`.
 */
export function createLogger(name: string, options: CreateLoggerOptions = {}): Logger {
  const settings = telemetrySettings();
  return pino(
    {
      level: options.level ?? settings.logLevel,
      // `service` is read per line, so loggers created before startTelemetry still get the right one.
      base: { logger: name },
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      mixin() {
        const service = telemetrySettings().serviceName;
        const traceId = currentTraceId();
        return traceId ? { service, trace_id: traceId, span_id: currentSpanId() } : { service };
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** Nest `LoggerService` writing through pino, so Nest's own lines are JSON too. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...optionalParams: unknown[]): void {
    this.write('info', message, optionalParams);
  }

  error(message: unknown, ...optionalParams: unknown[]): void {
    // Nest calls error(message, stack?, context?).
    const params = [...optionalParams];
    const context =
      params.length > 0 && typeof params.at(-1) === 'string' ? params.pop() : undefined;
    const stack = typeof params[0] === 'string' ? params.shift() : undefined;
    const fields: Record<string, unknown> = { context };
    if (message instanceof Error) {
      fields['err'] = message;
    } else if (stack) {
      fields['stack'] = stack;
    }
    this.emit('error', fields, message, params);
  }

  warn(message: unknown, ...optionalParams: unknown[]): void {
    this.write('warn', message, optionalParams);
  }

  debug(message: unknown, ...optionalParams: unknown[]): void {
    this.write('debug', message, optionalParams);
  }

  verbose(message: unknown, ...optionalParams: unknown[]): void {
    this.write('trace', message, optionalParams);
  }

  fatal(message: unknown, ...optionalParams: unknown[]): void {
    this.write('fatal', message, optionalParams);
  }

  setLogLevels(levels: NestLogLevel[]): void {
    const order: NestLogLevel[] = ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'];
    const lowest = order.find((level) => levels.includes(level));
    const toPino: Record<NestLogLevel, string> = {
      verbose: 'trace',
      debug: 'debug',
      log: 'info',
      warn: 'warn',
      error: 'error',
      fatal: 'fatal',
    };
    this.logger.level = lowest ? toPino[lowest] : 'silent';
  }

  private write(
    level: 'info' | 'warn' | 'debug' | 'trace' | 'fatal',
    message: unknown,
    params: unknown[],
  ) {
    const rest = [...params];
    const context = rest.length > 0 && typeof rest.at(-1) === 'string' ? rest.pop() : undefined;
    this.emit(level, { context }, message, rest);
  }

  private emit(
    level: 'info' | 'warn' | 'debug' | 'trace' | 'fatal' | 'error',
    fields: Record<string, unknown>,
    message: unknown,
    extra: unknown[],
  ): void {
    const data: Record<string, unknown> = { ...fields };
    if (extra.length > 0) {
      data['params'] = extra;
    }
    if (typeof message === 'string') {
      this.logger[level](data, message);
    } else if (message instanceof Error) {
      this.logger[level]({ ...data, err: message }, message.message);
    } else {
      this.logger[level]({ ...data, data: message });
    }
  }
}
