export * from './event-recorder.ts';
export * from './hot-queries.ts';
export * from './index-walks.ts';
export * from './infrastructure.ts';
export * from './isolation.ts';
export * from './process-tools.ts';
export * from './revocation-list.ts';
export * from './test-tokens.ts';
