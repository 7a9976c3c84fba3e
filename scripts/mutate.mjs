// `npm run mutate [-- FILE…]`: Stryker mutation testing of compiler/codegen, compiler/autodiff and
// compiler/passes (or of the files given), each directory against the tests that exercise it.
// Results are incremental (reports/mutation/incremental-<dir>.json): a later run tests only mutants
// in code or tests that changed. The score of each run is printed and written to reports/mutation/.
import { spawnSync } from 'node:child_process';

const TESTS = {
  'compiler/passes': ['passes', 'cse', 'stabilize', 'edges'],
  'compiler/codegen': ['fusion', 'inplace', 'codegen', 'views'],
  'compiler/autodiff': ['gradients', 'second', 'scan', 'customGrad'],
};

const given = process.argv.slice(2);
for (const [dir, names] of Object.entries(TESTS)) {
  const files = given.length ? given.filter((f) => f.startsWith(`${dir}/`)) : [`${dir}/**/*.ts`];
  if (!files.length) continue;
  const tag = dir.replace('compiler/', '');
  const env = { ...process.env, DLM_MUTATE_TESTS: names.map((n) => `tests/${n}.test.ts`).join(',') };
  const args = ['stryker', 'run', '--mutate', files.join(','), '--incrementalFile', `reports/mutation/incremental-${tag}.json`];
  console.log(`mutate ${files.join(' ')} against ${names.length} test files`);
  const r = spawnSync('npx', args, { stdio: 'inherit', env });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
