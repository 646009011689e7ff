export * from './api-gateway.env';
export * from './ws-gateway.env';
export * from './geo-service.env';
export * from './audit-log-worker.env';
export * from './notification-service.env';
