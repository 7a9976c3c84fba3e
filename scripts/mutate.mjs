// `npm run mutate [-- FILE…]`: Stryker mutation testing of compiler/codegen, compiler/autodiff and
// compiler/passes (or of the files given), one Stryker run per file, each against the tests of its
// directory or the file's own set (TESTS, FILE_TESTS below; `--tests a,b` overrides them). Results are incremental per file
// (reports/mutation/incremental/<file>.json): a later run tests only mutants in code or tests that
// changed. Each run's report is reports/mutation/<file>.json; `npm run mutate -- --summary` prints the
// table of all of them (the one in docs/mutation.md); `--recheck FILE --tests a,b` applies the survivors of
// FILE's report (without one, every mutant of FILE) by hand and runs those tests on each
// (`--at 12:5,40:3`: only the mutants starting there). Extra Stryker flags go after `--`, e.g.
// `npm run mutate -- compiler/passes/cse.ts -- --concurrency 1`.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';

const TESTS = {
  'compiler/passes': ['passes', 'cse', 'stabilize', 'edges'],
  'compiler/codegen': ['fusion', 'fusionPlan', 'kernels', 'inplace', 'inplaceSafety', 'codegen', 'views'],
  'compiler/autodiff': ['gradients', 'second', 'scan', 'customGrad'],
};
// The narrowest set that reaches each file's code and checks what it does (docs/mutation.md gives each
// score with its set); a file not listed gets its directory's.
const FILE_TESTS = {
  'compiler/passes/fold.ts': ['fold', 'passes'],
  'compiler/passes/dce.ts': ['mutantsPasses', 'passes'],
  'compiler/passes/lowerCustom.ts': ['mutantsPasses', 'customGrad', 'passes'],
  'compiler/passes/order.ts': ['mutantsPasses', 'passes'],
  'compiler/passes/simplify.ts': ['mutantsPasses', 'passes', 'edges'],
  'compiler/passes/stabilize.ts': ['stabilize', 'passes'],
  'compiler/passes/pass.ts': ['mutantsPass', 'mutantsPasses', 'cse', 'fold'],
  'compiler/passes/index.ts': ['mutantsPassIndex', 'mutantsPasses', 'cse', 'fold'],
  'compiler/passes/sinkRows.ts': ['remat_sink', 'mutantsSinkRows', 'mutantsSinkRowsOutside'],
  'compiler/codegen/plan.ts': ['mutantsCodegen', 'stats'],
  'compiler/codegen/stats.ts': ['mutantsCodegen', 'stats'],
  'compiler/codegen/simdOperands.ts': ['mutantsCodegen', 'kernels', 'codegen'],
  'compiler/codegen/schedule.ts': ['mutantsCodegen', 'mutantsCodegenSchedule', 'codegen', 'fusion', 'inplace', 'kernels'],
  'compiler/codegen/scheduleContext.ts': ['mutantsCodegen', 'mutantsCodegenContext', 'mutantsCodegenSchedule', ...TESTS['compiler/codegen']],
  'compiler/codegen/placement.ts': ['mutantsCodegen', 'mutantsCodegenContext', ...TESTS['compiler/codegen']],
  'compiler/codegen/emitJs.ts': ['mutantsCodegenEmit', 'codegen', 'kernels', 'fusion', 'mathfns'],
  'compiler/codegen/fusionRules.ts': ['mutantsCodegen', 'mutantsCodegenRules', 'fusionPlan', 'fusion', 'codegen', 'kernels', 'views'],
  'compiler/codegen/kernels.ts': ['mutantsCodegenKernels', 'mutantsCodegenContext', 'kernels', 'fusion', 'codegen', 'views'],
  'compiler/codegen/scheduleTypes.ts': ['mutantsCodegenModule', 'mutantsCodegen', 'inplaceSafety', 'inplace', 'guard', 'simd', 'kernels'],
  'compiler/codegen/nodeKernels.ts': ['mutantsCodegenNodeKernels', 'mutantsCodegenContext', 'mutantsCodegenSchedule', 'fusion', 'kernels', 'codegen', 'views'],
  'compiler/codegen/scanKernel.ts': ['mutantsCodegenScan', 'mutantsCodegenContext', 'mutantsGrad', 'mutantsCodegen'],
  'compiler/codegen/module.ts': ['mutantsCodegenModule', 'mutantsCodegenModuleSource', 'codegen', 'guard', 'simd', 'inplace', 'kernels'],
  'compiler/autodiff/grad.ts': ['gradients', 'second', 'mutantsGrad'],
  'compiler/autodiff/jvp.ts': ['jvp', 'jvpOps', 'mutantsAutodiff', 'mutantsAutodiffJvp'],
  'compiler/autodiff/jvpScan.ts': ['jvp', 'mutantsAutodiff'],
  'compiler/autodiff/scan.ts': ['mutantsAutodiff', 'mutantsAutodiffTruncate', 'mutantsAutodiffWindows', 'mutantsGrad', 'scan'],
  'compiler/autodiff/checkpoint.ts': ['mutantsAutodiff', 'mutantsGrad', 'remat'],
};
const testsFor = (file) => FILE_TESTS[file] ?? TESTS[Object.keys(TESTS).find((d) => file.startsWith(`${d}/`))];
const REPORTS = 'reports/mutation';
const slug = (file) =>
  file
    .replace(/^compiler\//, '')
    .replace(/\.ts$/, '')
    .replaceAll('/', '-');

/** Mutants of one report: killed (timeouts count as killed, as Stryker scores them), survived, not covered. */
const counts = (report) => {
  const c = { mutants: 0, killed: 0, timeout: 0, survived: 0, noCoverage: 0, ignored: 0 };
  for (const f of Object.values(report.files))
    for (const m of f.mutants) {
      c.mutants++;
      if (m.status === 'Killed') c.killed++;
      else if (m.status === 'Timeout') c.timeout++;
      else if (m.status === 'Survived') c.survived++;
      else if (m.status === 'NoCoverage') c.noCoverage++;
      else c.ignored++;
    }
  return c;
};

const summary = () => {
  console.log('| file | mutants | killed | survived | no coverage | score |');
  console.log('|---|---|---|---|---|---|');
  for (const name of readdirSync(REPORTS)
    .filter((n) => n.endsWith('.json'))
    .sort()) {
    const report = JSON.parse(readFileSync(`${REPORTS}/${name}`, 'utf8'));
    const c = counts(report);
    const detected = c.killed + c.timeout;
    const valid = c.mutants - c.ignored;
    const score = valid ? ((100 * detected) / valid).toFixed(1) : '—';
    const files = Object.keys(report.files).join(', ');
    console.log(`| \`${files}\` | ${valid} | ${detected}${c.timeout ? ` (${c.timeout} by time-out)` : ''} | ${c.survived} | ${c.noCoverage} | ${score}% |`);
  }
};

/** The source offset of a report's { line, column } (both from 1). */
const offsetsIn = (source) => {
  const lines = source.split('\n');
  return (loc) => lines.slice(0, loc.line - 1).reduce((o, l) => o + l.length + 1, 0) + loc.column - 1;
};

const typescript = async () => (await import('typescript')).default;

/** The spans `start:end` of `source` that are exactly one expression (not a statement, a block or a switch case). */
const expressionSpans = async (source) => {
  const ts = await typescript();
  const spans = new Set();
  const walk = (n) => {
    if (ts.isExpression(n)) spans.add(`${n.getStart()}:${n.end}`);
    ts.forEachChild(n, walk);
  };
  walk(ts.createSourceFile('m.ts', source, ts.ScriptTarget.Latest, true));
  return spans;
};

/**
 * A mutant's text as Stryker applies it: the replacement of one AST node, so an expression goes in
 * parenthesized (spliced bare, `a && b` → `a || b` inside `a && b && c` would parse as `a || (b && c)`).
 * `spans`: expressionSpans(source).
 */
const spliced = (source, spans, a, b, m) => `${source.slice(0, a)}${spans.has(`${a}:${b}`) ? `(${m.replacement})` : m.replacement}${source.slice(b)}`;

/** A tree's node kinds, parentheses left out: two texts with the same one parse alike. */
const shape = (ts, text) => {
  const out = [];
  const walk = (n) => {
    if (n.kind === ts.SyntaxKind.ParenthesizedExpression) return void ts.forEachChild(n, walk);
    out.push(n.kind, '(');
    ts.forEachChild(n, walk);
    out.push(')');
  };
  walk(ts.createSourceFile('m.ts', text, ts.ScriptTarget.Latest, false));
  return out.join(',');
};

/** `--ambiguous FILE…`: the mutants of each file (all of them, from the instrumenter) that a bare splice
 * (what --recheck did before spliced()) applies as a different program from Stryker's: their earlier
 * hand-recheck results must be redone. */
const ambiguous = async (file) => {
  const report = await allMutants(file);
  const source = report.files[file].source;
  const at = offsetsIn(source);
  const [ts, spans] = [await typescript(), await expressionSpans(source)];
  for (const m of report.files[file].mutants) {
    const [a, b] = [at(m.location.start), at(m.location.end)];
    const bare = source.slice(0, a) + m.replacement + source.slice(b);
    if (shape(ts, bare) !== shape(ts, spliced(source, spans, a, b, m)))
      console.log(`${file} ${m.location.start.line}:${m.location.start.column} ${m.mutatorName}: ${m.replacement.slice(0, 70)}`);
  }
};

/**
 * Applies each surviving or uncovered mutant of `file`'s last report by hand (the same edit Stryker
 * made) and runs `tests` on it: how survivors are re-checked after new tests without a full run, and
 * how static mutants are checked (Stryker 9.6.1's vitest runner activates them after the module loaded,
 * stryker-js #6144, so they are reported as surviving even when a test kills them).
 */
const recheck = async (file, tests, only) => {
  const path = `${REPORTS}/${slug(file)}.json`;
  const report = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : await allMutants(file);
  const source = report.files[file].source;
  if (readFileSync(file, 'utf8') !== source) throw new Error(`mutate: ${file} changed since its report; run Stryker again`);
  const at = offsetsIn(source);
  const spans = await expressionSpans(source);
  // the mutation config, as Stryker runs them: in-process tests only, no dist/ build before each run
  const env = { ...process.env, DLM_MUTATE_TESTS: tests.map((t) => `tests/${t}.test.ts`).join(',') };
  const run = () => spawnSync('npx', ['vitest', 'run', '--config', 'vitest.mutate.config.ts'], { encoding: 'utf8', env });
  // a test file that fails (or does not even load) on the unchanged code would count every mutant as killed
  const clean = run();
  if (clean.status !== 0) throw new Error(`mutate: ${tests.join(', ')} fail without a mutant:\n${clean.stdout.slice(-2000)}${clean.stderr.slice(-2000)}`);
  try {
    const left = report.files[file].mutants.filter((x) => x.status === 'Survived' || x.status === 'NoCoverage');
    for (const m of left.filter((x) => !only || only.includes(`${x.location.start.line}:${x.location.start.column}`))) {
      const [a, b] = [at(m.location.start), at(m.location.end)];
      writeFileSync(file, spliced(source, spans, a, b, m));
      const r = run();
      const where = `${m.location.start.line}:${m.location.start.column}`;
      console.log(`${r.status === 0 ? 'survives' : 'killed  '} ${where} ${m.mutatorName}: ${source.slice(a, b).slice(0, 60)} → ${m.replacement.slice(0, 60)}`);
    }
  } finally {
    writeFileSync(file, source);
  }
};

/**
 * Without a report (reports/ is not committed), every mutant Stryker's instrumenter makes of `file`, as
 * a report in which each survived: `--recheck FILE --at L:C,…` then applies the ones named.
 */
const allMutants = async (file) => {
  const { Instrumenter } = await import('@stryker-mutator/instrumenter');
  const quiet = new Proxy({}, { get: (_, k) => (String(k).startsWith('is') ? () => false : () => {}) });
  const source = readFileSync(file, 'utf8');
  const r = await new Instrumenter(quiet).instrument([{ name: file, content: source, mutate: true }], { plugins: null, excludedMutations: [], ignorers: [] });
  // the instrumenter counts lines and columns from 0, reports from 1
  const at = (p) => ({ line: p.line + 1, column: p.column + 1 });
  const mutants = r.mutants.map((m) => ({ ...m, status: 'Survived', location: { start: at(m.location.start), end: at(m.location.end) } }));
  console.log(`mutate: no report for ${file}; ${mutants.length} mutants from the instrumenter`);
  return { files: { [file]: { source, mutants } } };
};

const argv = process.argv.slice(2);
if (argv.includes('--summary')) {
  summary();
  process.exit(0);
}
if (argv.includes('--ambiguous')) {
  for (const f of argv.filter((x) => x !== '--ambiguous')) await ambiguous(f);
  process.exit(0);
}
const dash = argv.indexOf('--');
const own = dash < 0 ? argv : argv.slice(0, dash);
const extra = dash < 0 ? [] : argv.slice(dash + 1);
const t = own.indexOf('--tests');
const override = t < 0 ? undefined : own[t + 1]?.split(',');
const a = own.indexOf('--at');
const only = a < 0 ? undefined : own[a + 1]?.split(',');
const given = own.filter((x, i) => x !== '--recheck' && (t < 0 || (i !== t && i !== t + 1)) && (a < 0 || (i !== a && i !== a + 1)));
const sources = (dir) =>
  readdirSync(dir, { recursive: true })
    .filter((f) => String(f).endsWith('.ts'))
    .map((f) => `${dir}/${f}`)
    .sort();
const files = given.length ? given : Object.keys(TESTS).flatMap(sources);
if (argv.includes('--recheck')) {
  if (!given.length) {
    console.error('mutate: --recheck needs the files whose reports to re-check');
    process.exit(2);
  }
  for (const file of files) await recheck(file, override ?? testsFor(file), only);
  process.exit(0);
}
for (const file of files) {
  const dir = Object.keys(TESTS).find((d) => file.startsWith(`${d}/`));
  if (!dir || !existsSync(file)) {
    console.error(`mutate: ${file} is not a file under ${Object.keys(TESTS).join(', ')}`);
    process.exit(2);
  }
  const names = override ?? testsFor(file);
  const env = {
    ...process.env,
    DLM_MUTATE_TESTS: names.map((n) => `tests/${n}.test.ts`).join(','),
    DLM_MUTATE_REPORT: `${REPORTS}/${slug(file)}.json`,
    // 40 random programs, not 1000, in tests/gradients.test.ts: each mutant runs it (docs/mutation.md)
    DLM_PROGRAM_RUNS: process.env['DLM_PROGRAM_RUNS'] ?? '40',
  };
  const args = ['stryker', 'run', '--mutate', file, '--incrementalFile', `${REPORTS}/incremental/${slug(file)}.json`, ...extra];
  console.log(`mutate ${file} against ${names.join(', ')}`);
  const r = spawnSync('npx', args, { stdio: 'inherit', env });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
