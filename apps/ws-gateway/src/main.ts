import { startTelemetry } from '@gad/observability';

// OpenTelemetry must patch http, pg and ioredis before anything requires them.
startTelemetry({ serviceName: 'ws-gateway' });

import { bootstrap } from './bootstrap';

void bootstrap();
