import { defineProject } from 'vitest/config';

// Static checks of the deployment files (compose, Dockerfiles, Kubernetes, Prometheus,
// Grafana) against their schemas and the services' own config specs: no servers needed.
export default defineProject({
  test: {
    name: 'infra',
    include: ['test/**/*.test.ts'],
  },
});
