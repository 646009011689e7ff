import { OutboxModule } from '@gad/bus';
import { DataSource } from 'typeorm';
import { API_GATEWAY_CONFIG, type ApiGatewayConfig } from '../api-gateway.config';

export const DISPATCH_SCHEMA = 'dispatch';

/** `dispatch.outbox`: written inside business transactions, relayed to the dispatch streams. */
export const DispatchOutboxModule = OutboxModule.forRootAsync({
  inject: [DataSource, API_GATEWAY_CONFIG],
  useFactory: (dataSource: DataSource, config: ApiGatewayConfig) => ({
    runner: { transaction: (fn) => dataSource.transaction((manager) => fn(manager)) },
    schema: DISPATCH_SCHEMA,
    redis: config.REDIS_URL,
    prefix: config.REDIS_KEY_PREFIX,
    pollIntervalMs: config.OUTBOX_POLL_MS,
  }),
});
