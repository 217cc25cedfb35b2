// Builds the single-page app into the Python package (src/legato/server/static), which
// `legato server` serves at /; asset names carry a content hash so they can be cached forever.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/",
  esbuild: { jsx: "automatic" },
  build: {
    outDir: "../src/legato/server/static",
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: false,
    target: "es2020",
    chunkSizeWarningLimit: 1000,
  },
  server: {
    // `npm run dev` forwards the API to a `legato server` on the default port.
    proxy: { "/api": "http://127.0.0.1:4200" },
  },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
} as never);
