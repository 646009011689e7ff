// Preloaded only into the api bench's second api-gateway (NODE_OPTIONS=--require, set by
// tools/bench/api.bench.ts for that process alone): the request audit interceptor passes every
// request straight to its handler, so the same build answers the same POST /v1/incidents without
// the request's audit entry in the transaction. This is the baseline of the budget "a REST write
// with its audit entry costs ≤ 1.15× the same write without it" (issue #19). Nothing in the apps
// reads it: production cannot switch auditing off, and no env var or build flag of the services
// exists for it. The bench checks that it took effect (no incident.create entry in that
// gateway's outbox) and fails otherwise.
//
// It loads nothing itself: the app must load its modules in its own order, after its telemetry
// bootstrap has hooked `require` (pg, ioredis and http are instrumented only when loaded after
// it). So it waits for the first module that exports `AuditInterceptor`, as the app loads it, and
// patches that class.
'use strict';
const Module = require('node:module');

const load = Module._load;
Module._load = function loadAndPatch(...args) {
  const exported = load.apply(this, args);
  const prototype = exported && exported.AuditInterceptor && exported.AuditInterceptor.prototype;
  if (prototype) {
    if (typeof prototype.intercept !== 'function') {
      throw new Error('without-audit.preload: AuditInterceptor.prototype.intercept not found');
    }
    prototype.intercept = function interceptWithoutAudit(_context, next) {
      return next.handle();
    };
    Module._load = load;
  }
  return exported;
};
