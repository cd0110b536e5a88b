// The web demo: a static page, built from this folder. All logic comes from the npm package
// (the repository's own, built into ../dist by `npm run build`).
import { fileURLToPath } from 'node:url';

export default {
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  resolve: {
    alias: { stockade: fileURLToPath(new URL('../dist/browser.js', import.meta.url)) },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2000,
  },
  server: { fs: { allow: ['..'] } },
  logLevel: 'warn',
};
