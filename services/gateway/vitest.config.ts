import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'gateway',
    globalSetup: ['@palaver/testing/global-setup'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
