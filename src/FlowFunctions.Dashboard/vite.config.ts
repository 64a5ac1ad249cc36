import { defineConfig } from 'vite';

// React's automatic JSX runtime through esbuild: no @vitejs/plugin-react (it does not install here, and Fast Refresh
// is the only thing it would add).
export default defineConfig({
  esbuild: { jsx: 'automatic' },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1500 },
  server: { proxy: { '/api': 'http://127.0.0.1:7070' } },
  test: { environment: 'jsdom', include: ['test/**/*.test.ts?(x)'] },
});
