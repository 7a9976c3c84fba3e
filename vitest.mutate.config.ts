import { defineConfig } from 'vitest/config';

// The tests `npm run mutate` runs against each mutant (scripts/mutate.mjs picks them per directory and
// passes them in DLM_MUTATE_TESTS): in-process property and equivalence tests only, no child processes,
// so no dist/ bundle is built. Stryker runs just the tests that cover a mutant, and stops at the first failure.
const tests = (process.env['DLM_MUTATE_TESTS'] ?? '').split(',').filter((t) => t !== '');

export default defineConfig({
  test: {
    include: tests.length ? tests : ['tests/passes.test.ts'],
    testTimeout: 120_000,
    bail: 1,
  },
});
