import { Inject, Injectable, Module, type DynamicModule, type Provider } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { OutboxRelay, OutboxWriter } from '@gad/bus';
import { Database } from '@gad/platform';
import { bindInterceptor, handlersOf, needsAuditInterceptor } from './audit-binding';
import { AuditInterceptor } from './audit.interceptor';
import { AuditRecorder, type AuditRecorderOptions } from './audit-recorder.service';

export interface AuditModuleOptions extends Omit<AuditRecorderOptions, 'outbox'> {
  /**
   * Bind {@link AuditInterceptor} to every handler of the app it applies to, decided from the
   * handlers' metadata by {@link needsAuditInterceptor} (every mutating route, every `@Audited`
   * handler, every socket command; docs/adr/0040): reads that nobody audits run without it.
   */
  interceptAudited?: boolean;
  /**
   * Record into the service's transactional outbox (`OutboxModule.forSchema`, needs
   * `DatabaseModule`): every service that owns a database (docs/adr/0021).
   */
  outbox?: boolean;
}

/**
 * Binds the interceptor to the handlers the rule selects while the app's providers are created,
 * i.e. before `init()` builds the routes and gateways from their metadata.
 */
@Injectable()
export class AuditInterceptorBinding {
  /** The handlers bound, as `Class.method` (for logs and tests). */
  readonly bound: string[] = [];

  constructor(
    @Inject(ModulesContainer) modules: ModulesContainer,
    @Inject(AuditInterceptor) interceptor: AuditInterceptor,
  ) {
    for (const handler of handlersOf(modules)) {
      if (needsAuditInterceptor(handler)) {
        // First: outside the other interceptors, as it was when bound globally.
        bindInterceptor(handler.handler, interceptor, 'first');
        this.bound.push(`${handler.host.name}.${handler.methodName}`);
      }
    }
  }
}

/** Provides {@link AuditRecorder} (closed on shutdown) and {@link AuditInterceptor}, globally. */
@Module({})
export class AuditModule {
  static forRoot(options: AuditModuleOptions): DynamicModule {
    const { outbox, interceptAudited, ...recorderOptions } = options;
    const recorder: Provider = outbox
      ? {
          provide: AuditRecorder,
          inject: [Database, OutboxWriter, OutboxRelay],
          useFactory: (database: Database, writer: OutboxWriter, relay: OutboxRelay) =>
            new AuditRecorder({ ...recorderOptions, outbox: { database, writer, relay } }),
        }
      : { provide: AuditRecorder, useFactory: () => new AuditRecorder(recorderOptions) };
    const providers: Provider[] = [recorder, AuditInterceptor];
    if (interceptAudited) {
      providers.push(AuditInterceptorBinding);
    }
    return {
      module: AuditModule,
      global: true,
      providers,
      exports: [AuditRecorder, AuditInterceptor],
    };
  }
}
