import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const DIR = dirname(fileURLToPath(import.meta.url));

// Served by the API server under /app (src/http/web-app.ts); `npx vite web` runs a dev server
// that proxies the API to a server started with `npm start`.
export default defineConfig({
  root: DIR,
  base: '/app/',
  // JSX through esbuild: Preact needs no Babel preset for a production build.
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: join(DIR, 'dist'),
    emptyOutDir: true,
    manifest: true,
    target: 'es2022',
    sourcemap: false,
    // Everything a first page needs is measured against its budget by build.ts; Vite's own
    // 500 kB warning says nothing useful here.
    chunkSizeWarningLimit: 1000,
    rollupOptions: {
      input: { main: join(DIR, 'index.html'), preview: join(DIR, 'preview.html') },
    },
  },
  server: {
    fs: { allow: [join(DIR, '..')] },
    proxy: Object.fromEntries(['/api', '/widget.js', '/s/', '/health'].map((p) => [p, process.env.ADVOCATE_API ?? 'http://127.0.0.1:3000'])),
  },
});
