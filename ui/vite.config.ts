import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The web UI, built into dist/web, which the web-ui function serves (shared/web/static-site.ts)
 * and serverless.yml packages. `npx vite --config ui/vite.config.ts` serves it with hot reload
 * and forwards API calls to `npm start`'s API (HOTSPOTS_API_URL, default http://127.0.0.1:3000).
 */
const apiUrl = process.env.HOTSPOTS_API_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Budget check: the whole UI (d3-flame-graph, uPlot, app) stays far below this.
    chunkSizeWarningLimit: 400,
    reportCompressedSize: true,
  },
  server: {
    host: '127.0.0.1',
    proxy: { '/v1': apiUrl, '/healthz': apiUrl },
  },
});
