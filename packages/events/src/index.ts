export * from './broker.ts';
export * from './relay.ts';
