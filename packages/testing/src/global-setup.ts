import type { TestProject } from 'vitest/node';
import { provisionInfrastructure } from './infrastructure.ts';

/** Vitest global setup: real servers once per project, handed to test files via inject('infra'). */
export default async function setup(project: TestProject) {
  const { infra, stop } = await provisionInfrastructure();
  project.provide('infra', infra);
  return stop;
}
