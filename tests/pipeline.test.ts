// compiler/pipeline.ts is the compiler's one entry: the README lists its phases as it does, the library,
// the JIT entry and the CLI reach the compiler through nothing else and get the same code from it, and a
// backend plugs in as an Emitter.
import * as E from 'fp-ts/lib/Either.js';
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, test } from 'vitest';
import * as pipeline from '../compiler/pipeline.js';
import * as jit from '../compiler/jit/jit.js';
import { EMITTERS, type Emitter } from '../compiler/backends.js';
import { BACKENDS, nativeUnavailable } from '../compiler/native/backend.js';
import { compileFile, Trainer, type Model } from '../compiler/index.js';
import { selectOutputs } from '../compiler/train/step.js';
import type { Tensor } from '../runtime/tensor.js';
import { runCli } from './helpers/cli.js';

const { PHASES } = pipeline;

/** The README's "How the compiler works" section, up to the next `##` heading. */
const section = (): string => {
  const readme = readFileSync('README.md', 'utf8');
  const at = readme.indexOf('\n## How the compiler works\n');
  expect(at).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', at + 1);
  return readme.slice(at, end < 0 ? undefined : end);
};

describe('the README and pipeline.ts list the same phases', () => {
  test("the README's numbered phases are PHASES, in order, each naming its pipeline functions and its code", () => {
    const items = section()
      .split(/\n(?=\d+\. \*\*)/)
      .slice(1)
      .map((t) => t.split('\n\n')[0]!.replace(/\s+/g, ' '));
    const names = items.map((t) => /^\d+\. \*\*(.+?)\*\*/.exec(t)![1]);
    expect(names).toEqual(PHASES.map((p) => p.name));
    items.forEach((text, i) => {
      expect(text.startsWith(`${i + 1}. `)).toBe(true);
      for (const e of PHASES[i]!.entries) expect(text, `${PHASES[i]!.name} names ${e}`).toContain(`\`${e}\``);
      for (const c of PHASES[i]!.code) expect(text, `${PHASES[i]!.name} names ${c}`).toContain(c);
    });
  });

  test("pipeline.ts's header diagram is PHASES, and every entry a phase names is a function it exports", () => {
    const src = readFileSync('compiler/pipeline.ts', 'utf8');
    const diagram = /^\/\/ {3}(parse → .*)$/m.exec(src)![1]!;
    expect(diagram.split(' → ')).toEqual(PHASES.map((p) => p.name));
    const exported = pipeline as unknown as Record<string, unknown>;
    for (const p of PHASES) for (const e of p.entries) expect(typeof exported[e], `${p.name}: ${e}`).toBe('function');
    for (const c of PHASES.flatMap((p) => p.code)) {
      const path = /^(compiler|runtime)\//.test(c) ? c : `compiler/${c}`;
      expect(execSync(`git ls-files ${path}`, { encoding: 'utf8' }).trim(), `${c} exists`).not.toBe('');
    }
  });
});

/** Value imports (and re-exports) of a module, as repository paths; `import type` is erased and allowed. */
const valueImports = (file: string): string[] =>
  [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s+(type\s+)?[^'";]*?from\s+'(\.[^']+)'/gm)]
    .filter((m) => !m[1])
    .map((m) => normalize(join(dirname(file), m[2]!.replace(/\.js$/, '.ts'))));

describe('the library, the JIT and the CLI reach the compiler only through pipeline.ts', () => {
  // The phases after check, and the backend table: only pipeline.ts (and each other) may import them.
  const PHASE_CODE = /^compiler\/(codegen|autodiff|passes|native)\/|^compiler\/backends\.ts$/;
  // Text helpers the standalone-module printer shares with the JavaScript emitter: no phase runs through them.
  const ALLOWED = new Set(['compiler/embed/standalone.ts → compiler/codegen/emitJs.ts', 'compiler/embed/declarations.ts → compiler/codegen/emitJs.ts']);
  const dirs = 'compiler/api compiler/jit compiler/cli compiler/embed compiler/export compiler/cli.ts compiler/compile.ts compiler/index.ts';
  const callers = execSync(`git ls-files ${dirs}`, { encoding: 'utf8' })
    .split('\n')
    .filter((f) => f.endsWith('.ts'));

  test('no caller imports codegen/, autodiff/, passes/, native/ or backends.ts directly', () => {
    expect(callers.length).toBeGreaterThan(30);
    const bypasses = callers
      .flatMap((f) =>
        valueImports(f)
          .filter((d) => PHASE_CODE.test(d))
          .map((d) => `${f} → ${d}`),
      )
      .filter((e) => !ALLOWED.has(e));
    expect(bypasses).toEqual([]);
  });

  test('outside jit/, nothing imports the JIT modules but through pipeline.ts', () => {
    const bypasses = callers
      .filter((f) => !f.startsWith('compiler/jit/'))
      .flatMap((f) =>
        valueImports(f)
          .filter((d) => d.startsWith('compiler/jit/'))
          .map((d) => `${f} → ${d}`),
      );
    expect(bypasses).toEqual([]);
  });

  test("the JIT entry is the pipeline's: jit.specialize is pipeline.specialize, which compiles once per shape", () => {
    expect(jit.specialize).toBe(pipeline.specialize);
    expect(jit.bindInputs).toBe(pipeline.bindInputs);
    const f = pipeline.optimize(xor().gradProgram());
    const once = pipeline.specialize(f, new Map([['N', 4]]));
    expect(pipeline.specialize(f, new Map([['N', 4]]))).toBe(once);
    expect(pipeline.specialize(f, new Map([['N', 5]]))).not.toBe(once);
  });
});

const xor = (): Model => {
  const p = compileFile('examples/xor.dlm');
  if (E.isLeft(p)) throw new Error('examples/xor.dlm does not compile');
  return p.right.model('Mlp', { seed: 5 });
};
const batch = (): Record<string, Tensor> => ({
  x: { data: Float32Array.of(0, 0, 0, 1, 1, 0, 1, 1), shape: [4, 2] },
  y: { data: Float32Array.of(0, 1, 1, 0), shape: [4, 1] },
});

describe('Model, Trainer and `dlm compile` get the same code from the pipeline', () => {
  test('a training step: Trainer.compile and `dlm compile --train --emit js --stats` emit the same module and stats', async () => {
    const model = xor();
    const spec = new Trainer(model).compile(batch())[0]!;
    const r = await runCli('compile', 'examples/xor.dlm', '--model', 'Mlp', '--train', '--emit', 'js', '--stats', '--dim', 'N=4');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(spec.source);
    expect(r.stderr).toContain(pipeline.statsOf(spec));
    expect(spec.source).toContain('function k0(');
  });

  test('a forward pass: Model.evaluate runs the code `dlm compile --emit js` prints, and gives the outputs the pipeline computes', async () => {
    const model = xor();
    const evaluated = model.evaluate(batch());
    const f = selectOutputs(model.ir.fn, [...model.ir.outputs, 'loss']);
    const env = new Map([['N', 4]]);
    const spec = pipeline.specialize(pipeline.optimize(f), env);
    const r = await runCli('compile', 'examples/xor.dlm', '--model', 'Mlp', '--emit', 'js', '--dim', 'N=4');
    expect(r.stdout).toBe(spec.source);
    const all = { ...batch(), ...model.hyperDefaults(), ...Object.fromEntries(model.ir.params.map((p) => [p.name, { data: model.params[p.name]! }])) };
    spec.module.run(spec.schedule.inputs.map((s) => all[s.name]!.data));
    expect(Array.from(spec.outputs['p']!)).toEqual(Array.from(evaluated['p']!.data));
    expect(spec.outputs['loss']![0]).toBe(evaluated['loss']!.data[0]);
  });
  test("`dlm compile --timings` times the pipeline's phases from plan fusion to load, named and ordered as in PHASES", async () => {
    const r = await runCli('compile', 'examples/xor.dlm', '--model', 'Mlp', '--emit', 'js', '--timings', '--dim', 'N=4');
    const timed = [...r.stderr.matchAll(/^ {4}(\S.*?) +\d+\.\d\d ms$/gm)].map((m) => m[1]);
    expect(timed).toEqual(PHASES.map((p) => p.name).filter((n) => timed.includes(n)));
    expect(timed).toEqual(expect.arrayContaining(['plan fusion', 'schedule', 'plan memory', 'emit', 'load']));
  });

  test('a gradient: Model.valueAndGrad ran the module `dlm compile --grad --emit js` prints (the one specialize cached)', async () => {
    const model = xor();
    const { loss, grads } = model.valueAndGrad(batch());
    const spec = pipeline.specialize(pipeline.optimize(model.gradProgram()), new Map([['N', 4]]));
    expect(spec.outputs['loss']![0]).toBe(loss);
    for (const p of model.ir.params) expect(Array.from(spec.outputs[`grad:${p.name}`]!), p.name).toEqual(Array.from(grads[p.name]!));
    const r = await runCli('compile', 'examples/xor.dlm', '--model', 'Mlp', '--grad', '--emit', 'js', '--dim', 'N=4');
    expect(r.stdout).toBe(spec.source);
  });
});

describe('a backend plugs in as an Emitter', () => {
  test('every backend name has its Emitter', () => {
    for (const b of BACKENDS.filter((x) => x !== 'auto')) expect(EMITTERS[b].name).toBe(b);
  });

  test('an Emitter of our own gets the schedule and plan, emits and loads once, and computes what the js backend does', () => {
    const model = xor();
    const f = pipeline.optimize(model.gradProgram());
    const env = new Map([['N', 4]]);
    const calls: string[] = [];
    const js = EMITTERS.js;
    const mine: Emitter = {
      ...js,
      emit: (s, plan, info, precision) => {
        calls.push(`emit ${s.kernels.length} kernels, arena ${plan.arenaSize}`);
        return `// mine\n${js.emit(s, plan, info, precision)}`;
      },
      load: (source, s, plan, precision) => {
        calls.push(`load ${source.startsWith('// mine\n')}`);
        return js.load(source, s, plan, precision);
      },
    };
    const got = pipeline.compileFor(f, env, 'f64', new Set(js.off), mine, 2 ** 30);
    if (E.isLeft(got)) throw new Error('compileFor failed');
    const ref = pipeline.specialize(f, env, 'f64', [], undefined, 'js');
    expect(calls).toEqual([`emit ${ref.schedule.kernels.length} kernels, arena ${ref.plan.arenaSize}`, 'load true']);
    const all = {
      ...batch(),
      ...model.hyperDefaults(),
      ...Object.fromEntries(model.ir.params.map((p) => [p.name, { data: Float64Array.from(model.params[p.name]!) }])),
    };
    for (const s of [got.right, ref]) s.module.run(s.schedule.inputs.map((i) => all[i.name]!.data));
    for (const o of ref.schedule.outputs) expect(Array.from(got.right.outputs[o.name]!), o.name).toEqual(Array.from(ref.outputs[o.name]!));
  });

  test('native is an Emitter like the others: `dlm compile --emit c` prints the C its load compiles', async () => {
    const model = xor();
    const f = pipeline.optimize(selectOutputs(model.ir.fn, [...model.ir.outputs, 'loss']));
    const env = new Map([['N', 4]]);
    const c = pipeline.emitSource(f, env, 'native');
    const r = await runCli('compile', 'examples/xor.dlm', '--model', 'Mlp', '--emit', 'c', '--dim', 'N=4');
    expect(r.stdout).toBe(c);
    const why = nativeUnavailable();
    if (why !== undefined) {
      console.warn(`pipeline.test: native load not checked: ${why}`);
      return;
    }
    const spec = pipeline.specialize(f, env, 'f32', [], undefined, 'native');
    expect([spec.backend, spec.source, spec.native?.source]).toEqual(['native', c, c]);
  });

  test('phase boundaries are Results: a step over the memory limit is a Left (E0606) from compileFor, a RunError from specialize', () => {
    const model = xor();
    const f = pipeline.optimize(model.gradProgram());
    const env = new Map([['N', 4]]);
    const r = pipeline.compileFor(f, env, 'f32', new Set(), EMITTERS.wasm, 64);
    expect(E.isLeft(r) && r.left.map((d) => d.code)).toEqual(['E0606']);
    expect(() => pipeline.specialize(f, env, 'f32', [], 64)).toThrow(/E0606|memory limit/);
  });
});
