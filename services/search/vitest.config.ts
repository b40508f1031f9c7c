import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'search',
    globalSetup: ['@palaver/testing/global-setup'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
