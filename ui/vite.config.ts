import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// Everything is bundled into files served from the app origin: the CSP allows nothing else.
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2021",
    // The webviews Serene runs in (WebView2, WKWebView, WebKitGTK), not older browsers: for
    // wider targets the minifier rewrites CSS, e.g. `system-ui` into ten font names.
    cssTarget: ["chrome105", "safari13"],
    // Data-URL inlining would need `img-src data:` for fonts/scripts too; keep assets as files.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
  resolve: process.env.VITEST ? { conditions: ["browser"] } : undefined,
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts"],
    setupFiles: ["src/test-setup.ts"],
  },
});
