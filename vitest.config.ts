import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';

// Timeouts only stop hung tests; they are not speed checks (speed is `npm run bench`'s job). They are
// generous because the suite also runs on shared 2-core machines where everything can be 5× slower.
export default defineConfig({
  test: {
    globalSetup: ['tests/setup/build.ts'],
    // Stryker's sandboxes (npm run mutate) hold copies of tests/ that must not run as the suite
    exclude: [...configDefaults.exclude, '.stryker-tmp/**', 'reports/**'],
    // One test file per core. vitest's default leaves one core for its main process (cores − 1 workers),
    // which on CI's 2 cores ran the files one at a time: the main process only collects results, and a
    // worker waiting on a child (the CLI, cc, python3) leaves its core to the other
    maxWorkers: availableParallelism(),
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
