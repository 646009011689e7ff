import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { OutboxRelay, OutboxWriter } from '@gad/bus';
import { Database } from '@gad/platform';
import { AuditInterceptor } from './audit.interceptor';
import { AuditRecorder, type AuditRecorderOptions } from './audit-recorder.service';

export interface AuditModuleOptions extends Omit<AuditRecorderOptions, 'outbox'> {
  /** Bind {@link AuditInterceptor} to every controller and gateway of the app. */
  interceptAll?: boolean;
  /**
   * Record into the service's transactional outbox (`OutboxModule.forSchema`, needs
   * `DatabaseModule`): every service that owns a database (docs/adr/0021).
   */
  outbox?: boolean;
}

/** Provides {@link AuditRecorder} (closed on shutdown) and {@link AuditInterceptor}, globally. */
@Module({})
export class AuditModule {
  static forRoot(options: AuditModuleOptions): DynamicModule {
    const { outbox, ...recorderOptions } = options;
    const recorder: Provider = outbox
      ? {
          provide: AuditRecorder,
          inject: [Database, OutboxWriter, OutboxRelay],
          useFactory: (database: Database, writer: OutboxWriter, relay: OutboxRelay) =>
            new AuditRecorder({ ...recorderOptions, outbox: { database, writer, relay } }),
        }
      : { provide: AuditRecorder, useFactory: () => new AuditRecorder(recorderOptions) };
    const providers: Provider[] = [recorder, AuditInterceptor];
    if (options.interceptAll) {
      providers.push({ provide: APP_INTERCEPTOR, useExisting: AuditInterceptor });
    }
    return {
      module: AuditModule,
      global: true,
      providers,
      exports: [AuditRecorder, AuditInterceptor],
    };
  }
}
