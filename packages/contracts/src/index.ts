export * from './auth.ts';
export * from './errors.ts';
export * from './events.ts';
export * from './messages.ts';
export * from './primitives.ts';
export * from './realtime.ts';
export * from './search.ts';
export * from './uploads.ts';
