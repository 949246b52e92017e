/**
 * Builds the dashboard page (index.html + src/) into dist/dashboard/: hashed assets under
 * assets/, relative URLs (`base: "./"`) so the page works behind any host, port or path
 * prefix, nothing loaded from elsewhere. serve.ts serves that folder.
 *   vite build --config plugins/sinks/sse/dashboard/vite.config.ts   (part of `npm run build`)
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root: here,
  base: "./",
  publicDir: false,
  logLevel: "warn",
  clearScreen: false,
  build: {
    outDir: fileURLToPath(new URL("../../../../dist/dashboard", import.meta.url)),
    emptyOutDir: true,
    assetsDir: "assets",
    target: "es2022",
    // The polyfill would be inline script, which the page's CSP forbids; browsers that run
    // this page support modulepreload anyway.
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    chunkSizeWarningLimit: 300,
  },
});
