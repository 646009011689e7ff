import { startTelemetry } from '@gad/observability';

// OpenTelemetry must patch http, pg and ioredis before anything requires them.
startTelemetry({ serviceName: 'notification-service' });

import { bootstrap } from './bootstrap';

void bootstrap();
