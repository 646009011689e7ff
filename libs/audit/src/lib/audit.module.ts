import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AuditInterceptor } from './audit.interceptor';
import { AuditRecorder, type AuditRecorderOptions } from './audit-recorder.service';

export interface AuditModuleOptions extends AuditRecorderOptions {
  /** Bind {@link AuditInterceptor} to every controller and gateway of the app. */
  interceptAll?: boolean;
}

/** Provides {@link AuditRecorder} (closed on shutdown) and {@link AuditInterceptor}, globally. */
@Module({})
export class AuditModule {
  static forRoot(options: AuditModuleOptions): DynamicModule {
    const providers: Provider[] = [
      { provide: AuditRecorder, useFactory: () => new AuditRecorder(options) },
      AuditInterceptor,
    ];
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
