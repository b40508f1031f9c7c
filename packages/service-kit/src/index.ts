export * from './access-tokens.ts';
export * from './domain-error.ts';
export * from './duplicate-key.ts';
export * from './health.ts';
export * from './in-flight-limit.ts';
export * from './lifecycle.ts';
export * from './revocation-list.ts';
export * from './service-app.ts';
