import { defineConfig } from 'vitest/config';

// One run covers every package and service; each test file isolates its own
// database, Redis prefix and broker names, so files run in parallel.
export default defineConfig({
  test: {
    projects: ['packages/*', 'services/*', 'infra', 'web'],
  },
});
