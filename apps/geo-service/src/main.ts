import { startTelemetry } from '@gad/observability';

// OpenTelemetry must patch pg and ioredis before anything requires them.
startTelemetry({ serviceName: 'geo-service' });

import { bootstrap } from './bootstrap';

void bootstrap();
