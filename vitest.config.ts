import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["core/**/*.test.ts", "plugins/**/*.test.ts", "test/**/*.test.ts", "examples/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**", "**/dist-test/**"],
    setupFiles: ["reflect-metadata"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});
