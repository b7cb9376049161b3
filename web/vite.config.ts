// The dashboard's build (spec §8): a static bundle in web/dist that `cohort serve` serves at `/`.
// `npm run dev:web` serves it with hot reload and proxies the API to a Cohort on :8080.
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const cohort = 'http://127.0.0.1:8080';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, reportCompressedSize: true },
  server: { proxy: { '/api': cohort, '/oauth': cohort } },
});
