import { inject } from 'vitest';
import { type IsolatedEnvironment, isolatedNames } from './isolated-names.ts';

/** This test file's own names on the test run's servers. */
export function isolatedEnvironment(label: string): IsolatedEnvironment {
  return isolatedNames(inject('infra'), label);
}
