/**
 * The interceptors of every HTTP route of the api-gateway, as Nest runs them (docs/adr/0040): the
 * audit interceptor on every route that changes something and every `@Audited` one, the
 * idempotency interceptor on the idempotent operations, and nothing on plain reads (which then run
 * without Nest's rxjs chain). The app is built as in the other integration specs (real PostgreSQL
 * and Redis), and each route's chain is the one Nest's router builds for it.
 */
import { RequestMethod, type NestInterceptor } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { MetadataScanner, type ApplicationConfig, type NestContainer } from '@nestjs/core';
import { InterceptorsContextCreator } from '@nestjs/core/interceptors';
import { AUDITED_METADATA, AuditInterceptor } from '@gad/audit';
import { AuditActions, type HttpOperation } from '@gad/contracts';
import { HTTP_OPERATION_KEY } from '@gad/platform';
import { IdempotencyInterceptor } from '../src/edge/idempotency.interceptor';
import { IdentityTestApp } from './identity-test-app';

interface Route {
  name: string;
  method: string;
  path: string;
  handler: object;
  host: object;
  interceptors: NestInterceptor[];
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Every route of the app's controllers with the interceptors Nest's router gives it. */
function routesOf(gw: IdentityTestApp): Route[] {
  const internals = gw.app as unknown as { container: NestContainer; config: ApplicationConfig };
  const creator = new InterceptorsContextCreator(internals.container, internals.config);
  const scanner = new MetadataScanner();
  const routes: Route[] = [];
  for (const [moduleKey, moduleRef] of internals.container.getModules()) {
    for (const wrapper of moduleRef.controllers.values()) {
      const instance = wrapper.instance as Record<string, unknown>;
      const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
      for (const methodName of scanner.getAllMethodNames(prototype)) {
        const handler = prototype[methodName] as (...args: unknown[]) => unknown;
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        if (path === undefined) {
          continue;
        }
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
        routes.push({
          name: `${wrapper.name}.${methodName}`,
          method,
          path: String(path),
          handler,
          host: wrapper.metatype as object,
          interceptors: creator.create(instance, handler, moduleKey) as NestInterceptor[],
        });
      }
    }
  }
  return routes;
}

const has = (route: Route, type: new (...args: never[]) => NestInterceptor) =>
  route.interceptors.some((interceptor) => interceptor instanceof type);

describe('api-gateway interceptor binding', () => {
  let gw: IdentityTestApp;
  let routes: Route[];

  beforeAll(async () => {
    gw = await IdentityTestApp.start();
    routes = routesOf(gw);
  });

  afterAll(async () => {
    await gw?.close();
  });

  it('enumerates the routes of the app, and no interceptor is bound globally', () => {
    expect(routes.length).toBeGreaterThan(50);
    const internals = gw.app as unknown as { config: ApplicationConfig };
    expect(internals.config.getGlobalInterceptors()).toEqual([]);
  });

  it('every mutating route and every @Audited one runs the audit interceptor, outermost', () => {
    const audited = routes.filter(
      (route) =>
        MUTATING.has(route.method) ||
        Reflect.hasMetadata(AUDITED_METADATA, route.handler) ||
        Reflect.hasMetadata(AUDITED_METADATA, route.host),
    );
    expect(audited.length).toBeGreaterThan(40);
    const missing = audited
      .filter((route) => !(route.interceptors[0] instanceof AuditInterceptor))
      .map((route) => `${route.method} ${route.path} (${route.name})`);
    expect(missing).toEqual([]);
    // One instance, the app's own (its recorder), bound once.
    const instance = gw.app.get(AuditInterceptor);
    for (const route of audited) {
      expect(route.interceptors.filter((i) => i instanceof AuditInterceptor)).toEqual([instance]);
    }
  });

  it('every idempotent operation runs the idempotency interceptor, inside the audit one', () => {
    const idempotent = routes.filter(
      (route) =>
        (Reflect.getMetadata(HTTP_OPERATION_KEY, route.handler) as HttpOperation | undefined)
          ?.idempotent === true,
    );
    expect(idempotent.length).toBeGreaterThan(3);
    for (const route of idempotent) {
      expect({
        route: route.name,
        chain: route.interceptors.map((i) => i.constructor.name),
      }).toEqual({
        route: route.name,
        chain: [AuditInterceptor.name, IdempotencyInterceptor.name],
      });
    }
    const elsewhere = routes.filter(
      (route) => !idempotent.includes(route) && has(route, IdempotencyInterceptor),
    );
    expect(elsewhere.map((route) => route.name)).toEqual([]);
  });

  it('plain reads (nearest units, the incidents list) run without any interceptor', () => {
    const read = (path: string) => {
      const route = routes.find((r) => r.method === 'GET' && r.path === path);
      expect(route).toBeDefined();
      return route as Route;
    };
    for (const path of ['/v1/units/nearest', '/v1/incidents', '/v1/incidents/:id']) {
      expect({ path, interceptors: read(path).interceptors }).toEqual({ path, interceptors: [] });
    }
    const unaudited = routes.filter(
      (route) =>
        route.method === 'GET' &&
        !Reflect.hasMetadata(AUDITED_METADATA, route.handler) &&
        !Reflect.hasMetadata(AUDITED_METADATA, route.host),
    );
    expect(unaudited.length).toBeGreaterThan(10);
    expect(unaudited.filter((route) => route.interceptors.length > 0).map((r) => r.name)).toEqual(
      [],
    );
  });

  it('a mutating route and an audited read are audited end to end, a plain read is not', async () => {
    const admin = await gw.adminToken();
    expect((await gw.send('GET', '/v1/incidents', { token: admin })).status).toBe(200);
    const created = await gw.createUser(admin, { username: 'bound', password: 'bound password x' });
    const read = await gw.send('GET', `/v1/users/${created}`, { token: admin });
    expect(read.status).toBe(200);
    const entries = await waitFor(async () => {
      const all = await gw.auditEntries();
      return all.some((e) => e.object?.id === created && e.action === AuditActions.UserRead)
        ? all
        : undefined;
    });
    expect(entries.map((entry) => entry.details?.['route'])).not.toContain('/v1/incidents');
    expect(entries).toContainEqual(
      expect.objectContaining({
        action: AuditActions.Created,
        object: { type: 'user', id: created },
      }),
    );
  });
});

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error('timed out');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
