import {
  AuditActions,
  operations,
  roleSchema,
  toRoutePath,
  type HttpOperation,
  type Role,
} from '@gad/contracts';
import { HTTP_OPERATION_KEY, IS_PUBLIC_KEY, ROLES_KEY } from '@gad/platform';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import type { FastifyInstance, HTTPMethods } from 'fastify';
import { IdentityTestApp } from './identity-test-app';

/** Routes outside the operation registry on purpose (probes, scrapes, generated docs). */
const UNREGISTERED = /^\/(health\/.*|metrics|docs.*)$/;

interface DiscoveredRoute {
  method: string;
  path: string;
  handler: string;
  operation?: HttpOperation;
  isPublic: boolean;
  roles?: Role[];
}

const joinPath = (...parts: string[]): string =>
  `/${parts
    .flatMap((part) => part.split('/'))
    .filter(Boolean)
    .join('/')}`;

/** Every route Nest registered, read from the controllers' metadata. */
function discoverRoutes(gw: IdentityTestApp): DiscoveredRoute[] {
  const scanner = new MetadataScanner();
  const routes: DiscoveredRoute[] = [];
  for (const module of gw.app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
      if (!controller) continue;
      const prefix = (Reflect.getMetadata(PATH_METADATA, controller) as string | undefined) ?? '';
      const prototype = controller.prototype as Record<string, unknown>;
      for (const name of scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name] as object;
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        if (path === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
        for (const one of Array.isArray(path) ? path : [path]) {
          routes.push({
            method,
            path: joinPath(prefix, one),
            handler: `${controller.name}.${name}`,
            operation: Reflect.getMetadata(HTTP_OPERATION_KEY, handler) as
              HttpOperation | undefined,
            isPublic:
              Reflect.getMetadata(IS_PUBLIC_KEY, handler) === true ||
              Reflect.getMetadata(IS_PUBLIC_KEY, controller) === true,
            roles: (Reflect.getMetadata(ROLES_KEY, handler) ??
              Reflect.getMetadata(ROLES_KEY, controller)) as Role[] | undefined,
          });
        }
      }
    }
  }
  return routes;
}

/**
 * The operation registry is the route table: every route Nest registered is an operation with
 * roles (or public), every operation is registered exactly once, and every role outside an
 * operation's list is refused with 403 (and audited) on every route.
 */
describe('api-gateway routes and permission matrix', () => {
  let gw: IdentityTestApp;
  let routes: DiscoveredRoute[];

  beforeAll(async () => {
    gw = await IdentityTestApp.start({ RPC_TIMEOUT_MS: '100' });
    routes = discoverRoutes(gw);
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
  });

  it('discovers the routes (the scan itself works)', () => {
    expect(routes.length).toBeGreaterThan(10);
    expect(routes).toContainEqual(expect.objectContaining({ method: 'GET', path: '/health/live' }));
  });

  it('every registered non-public route is a registry operation with roles', () => {
    const offenders = routes
      .filter((route) => !UNREGISTERED.test(route.path))
      .filter(
        (route) =>
          !route.operation ||
          (route.operation.roles === 'public'
            ? !route.isPublic
            : route.isPublic || !route.roles || route.roles.length === 0) ||
          route.operation.method !== route.method ||
          toRoutePath(route.operation.path) !== route.path,
      )
      .map((route) => `${route.method} ${route.path} (${route.handler})`);
    expect(offenders).toEqual([]);
    // Routes outside the registry must be public probes, never guarded business routes.
    const unregistered = routes.filter((route) => UNREGISTERED.test(route.path));
    expect(unregistered.every((route) => route.isPublic)).toBe(true);
  });

  it('the registry and the registered routes match one to one', () => {
    const registered = routes
      .filter((route) => !UNREGISTERED.test(route.path))
      .map((route) => `${route.method} ${route.path}`)
      .sort();
    const declared = Object.values(operations)
      .map((operation: HttpOperation) => `${operation.method} ${toRoutePath(operation.path)}`)
      .sort();
    expect(registered).toEqual(declared);
    expect(new Set(registered).size).toBe(registered.length);
    // And Fastify really serves each of them.
    const fastify = gw.app.getHttpAdapter().getInstance() as FastifyInstance;
    for (const operation of Object.values(operations) as HttpOperation[]) {
      expect({
        route: operation.operationId,
        served: fastify.hasRoute({
          method: operation.method as HTTPMethods,
          url: toRoutePath(operation.path),
        }),
      }).toEqual({ route: operation.operationId, served: true });
    }
  });

  const concretePath = (operation: HttpOperation): string =>
    operation.path.replace(/\{[^}]+\}/g, '0190f0f0-0000-7000-8000-000000000000');

  it('refuses every role outside an operation’s list with 403 problem+json, on every route', async () => {
    const agencyId = 'agency-matrix';
    const tokens = new Map<Role, string>();
    for (const role of roleSchema.options) {
      tokens.set(role, await gw.devToken(agencyId, [role], `matrix-${role}`));
    }
    const wrong: string[] = [];
    for (const operation of Object.values(operations) as HttpOperation[]) {
      if (operation.roles === 'public') continue;
      for (const role of roleSchema.options) {
        const reply = await gw.send(operation.method, concretePath(operation), {
          token: tokens.get(role),
        });
        const allowed = operation.roles.includes(role);
        const denied = reply.status === 403 && reply.body['code'] === 'forbidden';
        if (
          allowed === denied ||
          (!allowed && !reply.headers.get('content-type')?.includes('problem+json'))
        ) {
          wrong.push(`${operation.operationId} as ${role}: ${reply.status}`);
        }
        if (allowed && (reply.status === 401 || reply.status >= 500)) {
          // 504 (deadline) and 503 (the service's circuit breaker open after repeated deadlines,
          // docs/adr/0024) are the answers of routes forwarded to a service not running here.
          if (reply.status !== 504 && reply.status !== 503)
            wrong.push(`${operation.operationId} as ${role}: ${reply.status}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('refuses requests without or with a forged token with 401', async () => {
    for (const operation of Object.values(operations) as HttpOperation[]) {
      if (operation.roles === 'public') continue;
      const none = await gw.send(operation.method, concretePath(operation));
      expect({ op: operation.operationId, status: none.status }).toEqual({
        op: operation.operationId,
        status: 401,
      });
    }
    const token = await gw.devToken('agency-matrix', ['admin']);
    const [header, payload] = token.split('.');
    const forged = `${header}.${payload}.${'A'.repeat(86)}`;
    expect((await gw.send('GET', '/v1/users', { token: forged })).status).toBe(401);
  });

  it('audits permission denials with the caller, route and operation', async () => {
    const token = await gw.devToken('agency-denied', ['officer'], 'officer-denied');
    expect((await gw.send('GET', '/v1/users', { token })).status).toBe(403);
    const entries = await gw.auditEntries();
    expect(entries).toContainEqual(
      expect.objectContaining({
        agencyId: 'agency-denied',
        action: AuditActions.PermissionDenied,
        outcome: 'denied',
        actor: expect.objectContaining({ id: 'officer-denied' }),
        details: expect.objectContaining({ operationId: 'listUsers', route: '/v1/users' }),
      }),
    );
  });
});
