import { setFlagsFromString } from 'node:v8';

// Before the app allocates anything: V8 may not tenure a request's objects in the old generation
// by allocation site (docs/adr/0046). Not a command-line flag because NODE_OPTIONS refuses it, and
// the gateway runs the same way under npm start, the tests, compose and Kubernetes.
setFlagsFromString('--no-allocation-site-pretenuring');

import { startTelemetry } from '@gad/observability';

// OpenTelemetry must patch http, pg and ioredis before anything requires them.
startTelemetry({ serviceName: 'api-gateway' });

import { bootstrap } from './bootstrap';

void bootstrap();
