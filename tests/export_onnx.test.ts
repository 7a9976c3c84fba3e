// ONNX export, validated with ONNX Runtime: every example family's ONNX graph gives dlm's forward
// outputs (within 1e-4 of the output's scale, at two batch sizes), every primitive's rule agrees with its
// reference eval on generated cases, the file carries dynamic axes, initializers and .dlm locations,
// and what cannot be exported is a diagnostic.
import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

// one thread each, warnings off: the machine is small and shared
const OPTS: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 3 };
import { describe, expect, test } from 'vitest';
import type { Model } from '../compiler/api/model.js';
import { main } from '../compiler/cli.js';
import { saveCheckpoint } from '../compiler/cli/checkpoints.js';
import { allOnnxNodes, exportOnnx, exportOnnxFunction } from '../compiler/export/onnx/export.js';
import { onnx } from '../compiler/export/onnx/graph.js';
import { ONNX_RULES } from '../compiler/ops/export/onnx.js';
import { OPS } from '../compiler/ops/registry.js';
import { isShapeError } from '../compiler/types/shapes.js';
import type { DType } from '../compiler/types/types.js';
import type { Tensor } from '../runtime/tensor.js';
import { compileOk } from './helpers/compile.js';
import { FAMILIES, familyModel, randomInputs } from './helpers/exportFamilies.js';
import { opCaseArb } from './helpers/genkit.js';
import { opProgram } from './helpers/numeric.js';

const ORT_TYPE: Record<DType, 'float32' | 'int32' | 'bool'> = { f32: 'float32', i32: 'int32', bool: 'bool' };
const ortTensor = (t: Tensor, dtype: DType): ort.Tensor =>
  new ort.Tensor(ORT_TYPE[dtype], dtype === 'f32' ? Float32Array.from(t.data) : dtype === 'i32' ? Int32Array.from(t.data) : Uint8Array.from(t.data), [
    ...t.shape,
  ]);

const bytesOf = (r: ReturnType<typeof exportOnnx>): Uint8Array => {
  if (E.isLeft(r)) throw new Error(r.left.map((d) => `${d.code} ${d.message}`).join('\n'));
  return r.right;
};

/** Runs the ONNX model on the inputs its graph declares; returns its outputs as numbers. */
const runOrt = async (
  bytes: Uint8Array,
  m: Model,
  inputs: Record<string, Tensor>,
): Promise<Record<string, { data: ArrayLike<number>; dims: readonly number[] }>> => {
  const s = await ort.InferenceSession.create(bytes, OPTS);
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of s.inputNames) feeds[name] = ortTensor(inputs[name]!, m.ir.inputs.find((i) => i.name === name)!.type.dtype);
  const r = await s.run(feeds);
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, { data: Array.from(v.data as ArrayLike<number | boolean>, Number), dims: v.dims }]));
};

/** max |a − b| / max |b|: the error relative to the output's scale. */
const relError = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let err = 0,
    scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return err / Math.max(scale, 1e-30);
};

describe('every example family: ONNX Runtime gives dlm’s forward outputs', () => {
  test.each(FAMILIES.map((f) => [f.family, f] as const))(
    '%s',
    async (_name, fam) => {
      const m = familyModel(fam);
      const bytes = bytesOf(exportOnnx(m, fam.outputs ? { outputs: fam.outputs } : {}));
      for (const [batch, length] of [
        [1, 3],
        [3, 5],
      ] as const) {
        const inputs = randomInputs(m, batch, 7 + batch, length);
        const want = m.forward(inputs);
        const got = await runOrt(bytes, m, inputs);
        for (const o of fam.outputs ?? m.ir.outputs) {
          expect(got[o]!.dims, `${o} at batch ${batch}`).toEqual(want[o]!.shape);
          expect(relError(got[o]!.data, want[o]!.data), `${o} at batch ${batch}`).toBeLessThan(1e-4);
        }
      }
    },
    30_000,
  );
});

describe('the ONNX file', () => {
  const m = familyModel(FAMILIES.find((f) => f.family === 'ResNet with batch norm')!);
  const model = onnx.ModelProto.decode(bytesOf(exportOnnx(m)));
  const g = model.graph!;

  test('opset 18, dynamic batch axis named as in the .dlm file, outputs typed', () => {
    expect(Number(model.opsetImport[0]!.version)).toBeGreaterThanOrEqual(17);
    expect(g.input!.map((i) => i.name)).toEqual(['x']);
    expect(g.input![0]!.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue))).toEqual(['B', 1, 28, 28]);
    expect(g.output!.map((o) => o.name)).toEqual(m.ir.outputs);
    expect(g.output![0]!.type!.tensorType!.shape!.dim![0]!.dimParam).toBe('B');
  });

  test('parameters and batch-norm running statistics are initializers named by their paths', () => {
    const names = new Set(g.initializer!.map((t) => t.name));
    for (const p of [...m.ir.params, ...m.ir.states]) expect(names.has(p.name), p.name).toBe(true);
    expect(m.ir.states.length).toBeGreaterThan(0);
    const w = g.initializer!.find((t) => t.name === m.ir.params[0]!.name)!;
    expect(Array.from(new Float32Array(Uint8Array.from(w.rawData!).buffer))).toEqual(Array.from(m.params[m.ir.params[0]!.name]!));
  });

  test('every node carries the .dlm location it came from', () => {
    const all = allOnnxNodes(g.node ?? []);
    expect(all.length).toBeGreaterThan(20);
    for (const n of all) expect(n.docString, `${n.opType} ${n.name}`).toMatch(/\.dlm:\d+:\d+$/);
    expect(all.some((n) => n.docString?.startsWith('resnet_small.dlm:'))).toBe(true);
  });

  test('a convolution dlm lowered to patches and a matmul is an ONNX Conv on the filter parameter', () => {
    const lenet = familyModel(FAMILIES.find((f) => f.family === 'LeNet')!);
    const convs = onnx.ModelProto.decode(bytesOf(exportOnnx(lenet))).graph!.node!.filter((n) => n.opType === 'Conv');
    const filters = lenet.ir.params.filter((p) => p.type.shape.length === 4).map((p) => p.name);
    expect(convs.map((n) => n.input![1])).toEqual(filters);
  });

  test('a scan is an ONNX Scan whose body is a subgraph', () => {
    const lstm = onnx.ModelProto.decode(bytesOf(exportOnnx(familyModel(FAMILIES.find((f) => f.family === 'LSTM language model')!))));
    const scan = lstm.graph!.node!.find((n) => n.opType === 'Scan')!;
    expect(scan).toBeDefined();
    const body = scan.attribute!.find((a) => a.name === 'body')!.g!;
    expect(body.node!.some((n) => n.opType === 'MatMul')).toBe(true);
  });
});

describe('every primitive', () => {
  test('has an ONNX rule or says why it cannot be exported', () => {
    expect(Object.keys(OPS).filter((op) => !Object.hasOwn(ONNX_RULES, op))).toEqual([]);
  });

  const exportable = Object.values(OPS).filter((op) => 'emit' in ONNX_RULES[op.name]!);
  test.each(exportable.map((op) => [op.name, op] as const))(
    '%s: ONNX Runtime agrees with the reference eval',
    async (_n, op) => {
      const cases = fc.sample(opCaseArb(op), { numRuns: 8, seed: 5 });
      for (const { sample, dtypes, inputs } of cases) {
        const t = op.shape(
          sample.shapes.map((s, i) => ({ dtype: dtypes[i]!, shape: s })),
          sample.attrs,
        );
        if (isShapeError(t)) throw new Error(t.reason);
        // uniform's key input is a scalar seed; ONNX gets it as an f32 like dlm's random key
        const ins = inputs.map((x, i) => (op.name === 'uniform' ? Float64Array.of(3 + i) : x));
        const want = op.eval(
          sample.shapes.map((s, i) => ({ shape: s, data: Float64Array.from(ins[i]!, (v) => Math.fround(v)) })),
          sample.attrs,
          { dtype: t.dtype, shape: t.shape as number[] },
        );
        const { f } = opProgram(op, sample, dtypes);
        const r = exportOnnxFunction(f, { name: op.name });
        if (E.isLeft(r)) throw new Error(r.left[0]!.message);
        const s = await ort.InferenceSession.create(r.right, OPTS);
        const feeds = Object.fromEntries(
          s.inputNames.map((name) => {
            const i = Number(name.slice(2));
            return [name, ortTensor({ data: Float32Array.from(ins[i]!), shape: sample.shapes[i]! }, dtypes[i]!)];
          }),
        );
        const out = (await s.run(feeds))['out']!;
        expect(out.dims, JSON.stringify(sample)).toEqual(want.shape);
        const got = Array.from(out.data as ArrayLike<number | boolean>, Number);
        got.forEach((v, k) => {
          expect(Math.abs(v - want.data[k]!), `${JSON.stringify(sample)} at ${k}`).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(want.data[k]!)));
        });
      }
    },
    30_000,
  );
});

describe('what cannot be exported', () => {
  test('an op without an ONNX form is a diagnostic naming it and its line, and no file is written', async () => {
    const src = `model M {
  input x: f32[B, 1, 4, 4]
  fn pooled(v) = sum(max_pool2d(v, 2))
  output g = grad(pooled)(x)
}
`;
    const r = exportOnnx(compileOk(src, 'bad_export.dlm').model());
    expect(E.isLeft(r)).toBe(true);
    const d = (r as E.Left<readonly { code: string; message: string; notes: readonly { message: string }[] }[]>).left[0]!;
    expect(d.code).toBe('E0801');
    expect(d.message).toContain('maxpool2d_grad');
    expect(d.notes[0]!.message).toMatch(/bad_export\.dlm:3:/);
  });

  test('a size that no input has on an axis of its own is E0802 at the node that needs it', () => {
    const src = `model M {
  input x: f32[2 * N]
  output y = reshape(x, [N, 2])
}
`;
    const r = exportOnnx(compileOk(src, 'pairs.dlm').model());
    expect(E.isLeft(r) && r.left[0]!.code).toBe('E0802');
    expect(E.isLeft(r) && r.left[0]!.message).toContain(`'N'`);
  });
});

describe('dlm export (CLI)', () => {
  test('writes an ONNX file with the checkpoint’s weights; ORT reproduces the trained model', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dlm-export-'));
    const trained = familyModel(FAMILIES[0]!, 5);
    const ckpt = join(dir, 'Digits.safetensors');
    saveCheckpoint(trained, undefined, ckpt, {});
    const out = join(dir, 'digits.onnx');
    const logs: string[] = [];
    const code = await main(['export', 'examples/mnist_mlp.dlm', '--checkpoint', ckpt, '-o', out], {
      log: (s) => logs.push(s),
      err: (s) => logs.push(s),
      color: false,
      stderrIsTTY: false,
    });
    expect(code, logs.join('\n')).toBe(0);
    const inputs = randomInputs(trained, 4, 1);
    const got = await runOrt(readFileSync(out), trained, inputs);
    expect(relError(got['logits']!.data, trained.forward(inputs)['logits']!.data)).toBeLessThan(1e-5);
    // without the checkpoint the weights differ (seed 0), so the check above would fail
    const fresh = await runOrt(bytesOf(exportOnnx(familyModel(FAMILIES[0]!, 0))), trained, inputs);
    expect(relError(fresh['logits']!.data, trained.forward(inputs)['logits']!.data)).toBeGreaterThan(1e-2);
  });

  test('an unexportable model exits 1 and writes nothing; a bad --format is a usage error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dlm-export-'));
    const out = join(dir, 'm.onnx');
    const logs: string[] = [];
    const io = { log: (s: string) => logs.push(s), err: (s: string) => logs.push(s), color: false, stderrIsTTY: false };
    expect(await main(['export', 'examples/mnist_mlp.dlm', '--format', 'tflite', '-o', out], io)).toBe(2);
    expect(await main(['export', 'examples/mnist_mlp.dlm', '--output', 'nope', '-o', out], io)).toBe(1);
    expect(logs.join('\n')).toContain('E0803');
    expect(existsSync(out)).toBe(false);
  });
});

/** The first code block of a language in the README's Export section. */
const readmeSnippet = (lang: string): string => {
  const text = readFileSync('README.md', 'utf8');
  const section = text.slice(text.indexOf('## Export'), text.indexOf('## How the compiler works'));
  const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(section);
  if (!m) throw new Error(`no ${lang} block in the README's Export section`);
  return m[1]!;
};

test('the README’s ONNX Runtime snippet runs on an exported model', () => {
  const dir = join('node_modules', '.cache', 'dlm-readme');
  mkdirSync(dir, { recursive: true });
  const model = join(process.cwd(), dir, 'digits.onnx');
  writeFileSync(model, bytesOf(exportOnnx(familyModel(FAMILIES[0]!))));
  const file = join(dir, 'onnx_snippet.mjs');
  writeFileSync(file, readmeSnippet('js').replace("'digits.onnx'", JSON.stringify(model)));
  expect(execFileSync(process.execPath, [file], { encoding: 'utf8' })).toContain('[ 2, 10 ]');
}, 30_000);
