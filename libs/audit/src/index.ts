export * from './lib/storable-json';
export * from './lib/audit-redaction';
export * from './lib/audit-recorder.service';
export * from './lib/audited.decorator';
export * from './lib/audit-scope';
export * from './lib/audit.interceptor';
export * from './lib/audit-binding';
export * from './lib/audit.module';
