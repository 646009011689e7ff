import { RequestMethod, type NestInterceptor, type Type } from '@nestjs/common';
import { INTERCEPTORS_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { MetadataScanner, type ModulesContainer } from '@nestjs/core';
import { AUDITED_METADATA } from './audited.decorator';

/** `@nestjs/websockets` constants, by value: the lib does not depend on that package. */
const GATEWAY_METADATA = 'websockets:is_gateway';
const MESSAGE_METADATA = 'message';

/** Methods that cannot change anything: their routes are audited only when they say so. */
const READ_METHODS = new Set<RequestMethod>([
  RequestMethod.GET,
  RequestMethod.HEAD,
  RequestMethod.OPTIONS,
]);

/** One handler of the app: an HTTP route or a socket command. */
export interface HandlerRef {
  kind: 'http' | 'ws';
  /** The controller or gateway class. */
  host: Type<unknown>;
  methodName: string;
  /** The method function itself: Nest reads a handler's interceptors from its metadata. */
  handler: (...args: unknown[]) => unknown;
  /** HTTP only. */
  requestMethod?: RequestMethod;
}

/**
 * THE rule of which handlers {@link AuditInterceptor} runs for (docs/adr/0040). It is bound to
 * exactly these, instead of globally, so that a read nobody audits runs without Nest's rxjs
 * interceptor chain:
 * - every HTTP route whose method is not GET/HEAD/OPTIONS (POST, PUT, PATCH, DELETE, and `@All` or
 *   any other method, to be safe): the interceptor records them all;
 * - every handler whose method or class carries `@Audited(...)`, `skip: true` included: an audited
 *   read is recorded, and a handler that records its own entries (`skip`) answers only once they
 *   are durable (the interceptor's `awaitingOwnRecords`);
 * - every socket command of a gateway: the interceptor records them all.
 * A GET handler that records entries itself must say so with `@Audited({ skip: true })` (as the
 * audit trail and platform routes do); the route spec of the app checks the rule route by route.
 */
export function needsAuditInterceptor(handler: HandlerRef): boolean {
  if (handler.kind === 'ws') {
    return true;
  }
  if (handler.requestMethod === undefined || !READ_METHODS.has(handler.requestMethod)) {
    return true;
  }
  return (
    Reflect.hasMetadata(AUDITED_METADATA, handler.handler) ||
    Reflect.hasMetadata(AUDITED_METADATA, handler.host)
  );
}

/** Every HTTP route of the controllers and every socket command of the gateways of the app. */
export function handlersOf(modules: ModulesContainer): HandlerRef[] {
  const scanner = new MetadataScanner();
  const handlers: HandlerRef[] = [];
  const seen = new Set<unknown>();
  for (const moduleRef of modules.values()) {
    const hosts: Array<{ kind: 'http' | 'ws'; host: Type<unknown> }> = [];
    for (const wrapper of moduleRef.controllers.values()) {
      if (wrapper.metatype) {
        hosts.push({ kind: 'http', host: wrapper.metatype as Type<unknown> });
      }
    }
    for (const wrapper of moduleRef.providers.values()) {
      const metatype = wrapper.metatype as Type<unknown> | null | undefined;
      if (
        metatype &&
        typeof metatype === 'function' &&
        Reflect.getMetadata(GATEWAY_METADATA, metatype)
      ) {
        hosts.push({ kind: 'ws', host: metatype });
      }
    }
    for (const { kind, host } of hosts) {
      if (seen.has(host)) {
        continue;
      }
      seen.add(host);
      const prototype = host.prototype as Record<string, unknown>;
      for (const methodName of scanner.getAllMethodNames(prototype)) {
        const handler = prototype[methodName] as HandlerRef['handler'];
        if (kind === 'http' && Reflect.getMetadata(PATH_METADATA, handler) !== undefined) {
          const requestMethod = Reflect.getMetadata(METHOD_METADATA, handler) as
            RequestMethod | undefined;
          handlers.push({ kind, host, methodName, handler, requestMethod });
        } else if (kind === 'ws' && Reflect.getMetadata(MESSAGE_METADATA, handler)) {
          handlers.push({ kind, host, methodName, handler });
        }
      }
    }
  }
  return handlers;
}

/**
 * Binds `interceptor` to one handler, as `@UseInterceptors` would (method metadata), first or last
 * of the handler's own interceptors. Must run before Nest builds the routes and gateways (`init()`,
 * i.e. while the app's providers are created). The metadata lives on the class, so an instance of
 * the same class bound by an earlier app in this process (a test's second replica) is replaced,
 * never stacked: each app's routes take the interceptors bound when that app is initialised.
 */
export function bindInterceptor(
  handler: HandlerRef['handler'],
  interceptor: NestInterceptor,
  position: 'first' | 'last',
): void {
  const own = (
    (Reflect.getMetadata(INTERCEPTORS_METADATA, handler) as unknown[] | undefined) ?? []
  ).filter((bound) => !(bound instanceof interceptor.constructor));
  Reflect.defineMetadata(
    INTERCEPTORS_METADATA,
    position === 'first' ? [interceptor, ...own] : [...own, interceptor],
    handler,
  );
}
