import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// In development the edge (nginx on :8080, started by `infra/local/palaver up`) answers the API
// and the gateways, so the browser talks to one origin just as it does in a deployment.
const edge = process.env.PALAVER_EDGE ?? 'http://127.0.0.1:8080';

export default defineConfig(({ command }) => {
  // A build started from a test run inherits NODE_ENV=test, which would bundle React's
  // development copy (+60 KB gzipped); what the edge serves is always the production one.
  if (command === 'build') process.env.NODE_ENV = 'production';
  return {
    plugins: [react()],
    server: {
      proxy: {
        '/api': { target: edge, changeOrigin: true },
        '/socket.io': { target: edge, changeOrigin: true, ws: true },
      },
    },
    build: { target: 'es2022', sourcemap: false },
  };
});
