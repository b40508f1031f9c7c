import { defineProject } from 'vitest/config';

// Component tests run under the root vitest (which bundles its own Vite), so JSX goes through
// esbuild's automatic runtime here instead of the React plugin used for the production build.
export default defineProject({
  esbuild: { jsx: 'automatic' },
  test: {
    name: 'web',
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['./src/test-setup.ts'],
  },
});
