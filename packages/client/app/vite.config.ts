import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

const require = createRequire(import.meta.url)
// Automerge's browser entry imports its .wasm as an ES module, which needs a bundler plugin;
// its base64 entry embeds the same wasm and runs anywhere, at about a third more bytes.
const automergeBase64 = join(
  dirname(require.resolve('@automerge/automerge/slim')),
  '../mjs/entrypoints/fullfat_base64.js',
)

/** Builds the example app into `packages/client/app/dist`, which the relay serves at `/`. */
export default defineConfig({
  root: dirname(fileURLToPath(import.meta.url)),
  base: '/',
  logLevel: 'warn',
  resolve: {
    alias: [{ find: /^@automerge\/automerge$/, replacement: automergeBase64 }],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // One script and one stylesheet: the service worker caches what index.html names.
    chunkSizeWarningLimit: 6144,
  },
})
