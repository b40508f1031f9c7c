import { defineConfig } from 'vitest/config';

// The fault suite drives the whole stack as `infra/local/palaver up` starts it, killing,
// freezing and stopping its parts under load: one file, alone, after the system tests.
export default defineConfig({
  test: {
    include: ['infra/smoke/**/*.faults.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 600_000,
  },
});
