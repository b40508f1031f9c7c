import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'upload',
    globalSetup: ['@palaver/testing/global-setup'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
