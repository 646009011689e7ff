import { Inject, Injectable } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { bindInterceptor, handlersOf } from '@gad/audit';
import type { HttpOperation } from '@gad/contracts';
import { HTTP_OPERATION_KEY } from '@gad/platform';
import { IdempotencyInterceptor } from './idempotency.interceptor';

/**
 * THE rule of which routes {@link IdempotencyInterceptor} runs for (docs/adr/0040): those whose
 * operation is declared `idempotent: true` in the registry, the only ones it acts on. Every other
 * route runs without it (and, if nothing else is bound to it, without Nest's rxjs chain).
 */
export function needsIdempotencyInterceptor(handler: object): boolean {
  const operation = Reflect.getMetadata(HTTP_OPERATION_KEY, handler) as HttpOperation | undefined;
  return operation?.idempotent === true;
}

/** Binds the interceptor to those routes while the app's providers are created (before `init()`). */
@Injectable()
export class IdempotencyBinding {
  readonly bound: string[] = [];

  constructor(
    @Inject(ModulesContainer) modules: ModulesContainer,
    @Inject(IdempotencyInterceptor) interceptor: IdempotencyInterceptor,
  ) {
    for (const handler of handlersOf(modules)) {
      if (handler.kind === 'http' && needsIdempotencyInterceptor(handler.handler)) {
        // Last: inside the audit interceptor, as it was when both were bound globally, so a
        // replayed or refused retry is audited too.
        bindInterceptor(handler.handler, interceptor, 'last');
        this.bound.push(`${handler.host.name}.${handler.methodName}`);
      }
    }
  }
}
