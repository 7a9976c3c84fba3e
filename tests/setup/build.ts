// Global setup: bundles dist/ from the current sources before any test runs, so tests that start
// `node bin/dlm.js` as a child process (pseudo-terminals, signals, pipes) run the code under test and
// not a bundle left from an earlier build. esbuild takes about a second; type declarations are skipped.
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs', '--no-types'], { stdio: 'inherit' });
}
