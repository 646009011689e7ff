import { startTelemetry } from '@gad/observability';

// OpenTelemetry must patch http, pg, ioredis and BullMQ before anything requires them.
startTelemetry({ serviceName: 'audit-log-worker' });

import { bootstrap } from './bootstrap';

void bootstrap();
