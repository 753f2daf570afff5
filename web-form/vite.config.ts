import react from '@vitejs/plugin-react';
import { loadEnv } from 'vite';
import { defineConfig } from 'vitest/config';

// Stable (un-hashed) file names so a company can embed the widget with a
// fixed <script>/<link> pair (see README.md). Serve them with revalidation
// (ETag / Cache-Control: no-cache) rather than long-lived immutable caching.
const ENTRY_JS = 'assets/fte-support.js';
const ENTRY_CSS = 'assets/fte-support.css';

export default defineConfig(({ mode }) => {
  // `FTE_DEV_API_PROXY=http://127.0.0.1:8000 npm run dev` forwards /api to a local backend.
  const devApiProxy = loadEnv(mode, '.', '').FTE_DEV_API_PROXY;
  return {
    // Relative asset URLs: works at the gateway root and from any sub-path.
    base: './',
    plugins: [react()],
    server: devApiProxy ? { proxy: { '/api': { target: devApiProxy, changeOrigin: true } } } : {},
    build: {
      outDir: 'dist',
      emptyOutDir: true,
      target: 'es2020',
      rolldownOptions: {
        output: {
          entryFileNames: ENTRY_JS,
          chunkFileNames: 'assets/[name]-[hash].js',
          assetFileNames: (asset) =>
            asset.names.some((name) => name.endsWith('.css')) ? ENTRY_CSS : 'assets/[name]-[hash][extname]',
        },
      },
    },
    test: {
      environment: 'jsdom',
      setupFiles: ['./src/test/setup.ts'],
      include: ['src/**/*.test.{ts,tsx}'],
      unstubGlobals: true,
      restoreMocks: true,
    },
  };
});
