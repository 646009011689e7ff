// Preloaded only into the api bench's second api-gateway (NODE_OPTIONS=--require, set by
// tools/bench/api.bench.ts for that process alone): the request audit interceptor passes every
// request straight to its handler, so the same build answers the same POST /v1/incidents without
// the request's audit entry in the transaction. This is the baseline of the budget "a REST write
// with its audit entry costs ≤ 1.15× the same write without it" (issue #19). Nothing in the apps
// reads it: production cannot switch auditing off, and no env var or build flag of the services
// exists for it. The bench checks that it took effect (no incident.create entry in that
// gateway's outbox) and fails otherwise.
'use strict';
const path = require('node:path');

// Same resolution as the app (the @gad/* aliases to dist/), so this patches the very module the
// app loads next: Node caches it by file name.
require('../scripts/register-paths.js');
const audit = require(path.join(__dirname, '..', '..', 'dist', 'libs', 'audit', 'src', 'index.js'));

const prototype = audit.AuditInterceptor && audit.AuditInterceptor.prototype;
if (!prototype || typeof prototype.intercept !== 'function') {
  throw new Error('without-audit.preload: AuditInterceptor.prototype.intercept not found in dist');
}
prototype.intercept = function interceptWithoutAudit(_context, next) {
  return next.handle();
};
