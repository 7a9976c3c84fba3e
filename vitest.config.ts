import { configDefaults, defineConfig } from 'vitest/config';

// Timeouts only stop hung tests; they are not speed checks (speed is `npm run bench`'s job). They are
// generous because the suite also runs on shared 2-core machines where everything can be 5× slower.
export default defineConfig({
  test: {
    globalSetup: ['tests/setup/build.ts'],
    // Stryker's sandboxes (npm run mutate) hold copies of tests/ that must not run as the suite
    exclude: [...configDefaults.exclude, '.stryker-tmp/**', 'reports/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
