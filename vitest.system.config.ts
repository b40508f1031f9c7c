import { defineConfig } from 'vitest/config';

// System tests drive the whole stack as `infra/local/palaver up` starts it (the edge on
// 127.0.0.1:8080, real browsers for the web client). They share one stack's ports, so they
// run one file at a time, after the unit and integration suite.
export default defineConfig({
  test: {
    include: ['web/e2e/**/*.e2e.test.ts', 'infra/smoke/**/*.smoke.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 600_000,
  },
});
