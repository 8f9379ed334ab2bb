// Vitest runs only test/vitest/*.spec.ts (usernet/test and fake timers under Vitest, started by
// test/world/vitest.test.ts); the suite itself is node:test's (scripts/run-tests.mjs). The
// specs import the built package (dist/), which Node loads as it is.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/vitest/**/*.spec.ts'],
    server: { deps: { external: [/\/dist\//] } },
  },
});
