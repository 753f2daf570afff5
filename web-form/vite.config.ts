import react from '@vitejs/plugin-react';
import { loadEnv } from 'vite';
import { defineConfig } from 'vitest/config';

// Stable (un-hashed) file names so a company can embed the widget with a
// fixed <script>/<link> pair (see README.md). Serve them with revalidation
// (ETag / Cache-Control: no-cache) rather than long-lived immutable caching.
const ENTRY_JS = 'assets/fte-support.js';
const ENTRY_CSS = 'assets/fte-support.css';

// The support inbox is a second build (`vite build --mode staff`, run by `npm run build` after
// the first), so the customer's bundle stays one module with no staff code in it. Its page lands
// at dist/staff/index.html with absolute asset URLs: the gateway serves it at /staff/ and below.
const STAFF_JS = 'assets/fte-staff.js';
const STAFF_CSS = 'assets/fte-staff.css';

export default defineConfig(({ mode }) => {
  // `FTE_DEV_API_PROXY=http://127.0.0.1:8000 npm run dev` forwards /api to a local backend.
  const devApiProxy = loadEnv(mode, '.', '').FTE_DEV_API_PROXY;
  const staff = mode === 'staff';
  const entryJs = staff ? STAFF_JS : ENTRY_JS;
  const entryCss = staff ? STAFF_CSS : ENTRY_CSS;
  return {
    // Relative asset URLs: the support page works at the gateway root and from any sub-path.
    base: staff ? '/' : './',
    plugins: [react()],
    server: devApiProxy ? { proxy: { '/api': { target: devApiProxy, changeOrigin: true } } } : {},
    build: {
      outDir: 'dist',
      emptyOutDir: !staff,
      target: 'es2020',
      rolldownOptions: {
        ...(staff ? { input: { staff: 'staff/index.html' } } : {}),
        output: {
          entryFileNames: entryJs,
          chunkFileNames: 'assets/[name]-[hash].js',
          assetFileNames: (asset) =>
            asset.names.some((name) => name.endsWith('.css')) ? entryCss : 'assets/[name]-[hash][extname]',
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
