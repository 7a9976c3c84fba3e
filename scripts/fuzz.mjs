// `npm run fuzz -- --cases N [--seed S]`: a long fuzz campaign of the property in tests/fuzz.test.ts.
// Bundles compiler/testing/fuzz.ts (so it runs the current sources), then runs mutants in-process and
// prints each failure shrunk by fast-check to a small program. Exit 1 if any case failed.
import { build } from 'esbuild';
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const { values } = parseArgs({
  options: { cases: { type: 'string', default: '10000' }, seed: { type: 'string' }, verbose: { type: 'boolean' }, small: { type: 'boolean' } },
});
const out = resolve('dist', 'fuzz-campaign.js');
await build({
  entryPoints: ['compiler/testing/fuzz.ts'],
  outfile: out,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'error',
});
const { mutantArb, runCase } = await import(pathToFileURL(out).href);
const fc = (await import('fast-check')).default;
// --small: the corpus of the suite's property (examples under 2,500 characters)
const corpus = readdirSync('examples')
  .filter((f) => f.endsWith('.dlm'))
  .map((f) => readFileSync(`examples/${f}`, 'utf8'))
  .filter((t) => !values.small || t.length < 2500);
const cases = Number(values.cases),
  seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
const outcomes = { diagnostics: 0, 'run-error': 0, ok: 0 };
const msByOutcome = { diagnostics: 0, 'run-error': 0, ok: 0 };
let slowest = { ms: 0, src: '' };
const t0 = performance.now();
const r = fc.check(
  fc.property(mutantArb(corpus), (src) => {
    const c = runCase(src);
    outcomes[c.outcome]++;
    msByOutcome[c.outcome] += c.ms;
    if (c.ms > slowest.ms) slowest = { ms: c.ms, src };
    if (c.ms > 10_000) throw new Error(`a case took ${c.ms.toFixed(0)} ms`);
  }),
  { numRuns: cases, seed },
);
console.log(
  `fuzz: ${cases} cases, seed ${seed}, ${((performance.now() - t0) / 1000).toFixed(1)} s; outcomes ` +
    `${JSON.stringify(outcomes)}, ms ${JSON.stringify(msByOutcome, (_k, v) => (typeof v === 'number' ? Math.round(v) : v))}` +
    `; slowest case ${slowest.ms.toFixed(0)} ms`,
);
if (values.verbose) console.log(`slowest:\n${slowest.src}`);
if (r.failed) {
  console.log(`FAILED after ${r.numRuns} cases: ${r.errorInstance?.stack ?? r.error}\nshrunk counterexample:\n${r.counterexample?.[0]}`);
  process.exitCode = 1;
}
