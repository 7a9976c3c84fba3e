// `npm run mutate`: mutation testing of the code where wrong code can hide (scheduling and fusion,
// differentiation, IR passes). A surviving mutant is a change to the compiler that no test notices:
// kill it with a test, or explain in the README why it is equivalent. Reports: reports/mutation/.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts' },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: ['compiler/codegen/**/*.ts', 'compiler/autodiff/**/*.ts', 'compiler/passes/**/*.ts'],
  coverageAnalysis: 'perTest',
  checkers: [],
  concurrency: 2,
  timeoutMS: 60_000,
  dryRunTimeoutMinutes: 30,
  incremental: true,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: process.env['DLM_MUTATE_REPORT'] ?? 'reports/mutation/mutation.json' },
  thresholds: { high: 80, low: 60, break: null },
  ignorePatterns: ['dist', 'bench/results*.json', 'runs', 'checkpoints', 'scratch', 'reports', 'editors/vscode/node_modules'],
};
