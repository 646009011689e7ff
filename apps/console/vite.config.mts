// The dispatch console's build (docs/adr: the console ADR). `node tools/scripts/build.mjs` runs it
// into dist/apps/console; `npx vite --config apps/console/vite.config.mts` serves it for development.
// @gad/client and @gad/contracts are compiled from the monorepo sources through these aliases.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const repo = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [react()],
  resolve: {
    alias: {
      '@gad/client': repo('libs/client/src/index.ts'),
      '@gad/contracts': repo('libs/contracts/src/index.ts'),
    },
  },
  build: {
    outDir: repo('dist/apps/console'),
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
  },
  server: { host: '127.0.0.1', port: 3005, strictPort: true },
  preview: { host: '127.0.0.1', port: 3005, strictPort: true },
});
