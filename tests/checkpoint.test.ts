// Checkpoints are validated before they are trusted: a malicious or damaged file (the header defects
// below, and the file cut at every 1 KiB) is exit 1 naming the defect, never exit 3 or a silent load;
// name spaces keep parameters, optimizer state and metadata apart; F16/BF16/F64 are converted.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadParams } from '../compiler/cli/checkpoints.js';
import { encodeSafetensors, loadSafetensors } from '../runtime/checkpoint.js';
import { DataError } from '../runtime/data/errors.js';
import { compileOk } from './helpers/compile.js';
import { scratchDir } from './helpers/scratch.js';
import { runCli as run } from './helpers/cli.js';

const dir = scratchDir('dlm-ckpt-');
const SRC = `import nn
model Tiny {
  input x: f32[B, 4]
  target y: i32[B]
  layer l1 = nn.Dense(4, 64)
  layer l2 = nn.Dense(64, 3)
  output logits = l2(relu(l1(x)))
  loss nn.cross_entropy(logits, y)
  optimizer adam(lr = 0.01)
  train {
    epochs = 1
    batch = 8
  }
}
`;
const MODEL = join(dir, 'tiny.dlm');
const DATA = join(dir, 'tiny.csv');
writeFileSync(MODEL, SRC);
writeFileSync(
  DATA,
  ['a,b,c,d,label', ...Array.from({ length: 40 }, (_, i) => `${Math.sin(i)},${Math.cos(i)},${(i % 5) / 5},${(i % 3) - 1},${i % 3}`)].join('\n') + '\n',
);
const GOOD = join(dir, 'good.safetensors');

/** The file's header and data, to write variants with a changed header. */
const parts = (bytes: Buffer) => {
  const n = Number(bytes.readBigUInt64LE(0));
  return { header: JSON.parse(bytes.subarray(8, 8 + n).toString()), data: bytes.subarray(8 + n) };
};
const withHeader = (header: unknown, data: Uint8Array, raw?: string): Buffer => {
  const h = Buffer.from(raw ?? JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([len, h, data]);
};

beforeAll(async () => {
  const r = await run('train', MODEL, '--data', DATA, '--out', GOOD);
  expect(r.code, r.stderr).toBe(0);
}, 60_000);

describe('a malicious checkpoint corpus', () => {
  const cases: [string, (h: Record<string, Record<string, unknown>>) => unknown, RegExp, string?][] = [
    ['header null', () => null, /the header must be a JSON object, got null/],
    ['header an array', () => [1, 2], /the header must be a JSON object, got an array/],
    ['tensor entry null', (h) => ({ ...h, 'l1.W': null }), /tensor 'l1\.W' must be an object/],
    ['shape "abc"', (h) => ({ ...h, 'l1.W': { ...h['l1.W'], shape: 'abc' } }), /tensor 'l1\.W' has shape "abc": it must be a list of non-negative integers/],
    ['negative shape', (h) => ({ ...h, 'l1.b': { ...h['l1.b'], shape: [-64] } }), /tensor 'l1\.b' has shape \[-64\]/],
    ['data_offsets 5', (h) => ({ ...h, 'l1.W': { ...h['l1.W'], data_offsets: 5 } }), /tensor 'l1\.W' has data_offsets 5: it must be \[begin, end\]/],
    [
      'offsets past the end',
      (h) => ({ ...h, 'l2.b': { ...h['l2.b'], data_offsets: [0, 1e9] } }),
      /tensor 'l2\.b' has data offsets \[0, 1000000000\] outside the file/,
    ],
    ['unknown dtype', (h) => ({ ...h, 'l1.W': { ...h['l1.W'], dtype: 'Q7' } }), /tensor 'l1\.W' has unsupported dtype "Q7"/],
    ['byte size ≠ dtype × shape', (h) => ({ ...h, 'l1.b': { ...h['l1.b'], shape: [63] } }), /tensor 'l1\.b' has 256 bytes but F32 of shape \[63\] needs 252/],
    [
      'overlapping tensors',
      (h) => {
        const begin = (h['l1.b']!['data_offsets'] as number[])[0]!;
        return { ...h, 'l2.b': { ...h['l2.b'], data_offsets: [begin, begin + 12] } };
      },
      /overlap/,
    ],
    ['metadata not strings', (h) => ({ ...h, __metadata__: { step: 5 } }), /__metadata__ entry 'step' must be a string/],
    ['I32 parameter', (h) => ({ ...h, 'l1.b': { ...h['l1.b'], dtype: 'I32' } }), /'l1\.b' is I32 \(integers\), not a float tensor/],
    [
      'a parameter missing',
      (h) => {
        const { ['l2.b']: _, ...rest } = h;
        return rest;
      },
      /missing 'l2\.b' \(f32\[3\]\)/,
    ],
    ['model_hash differs', (h) => ({ ...h, __metadata__: { ...h.__metadata__, model_hash: '0123456789abcdef' } }), /model_hash 0123456789abcdef differs/],
    ['an unknown name space', (h) => ({ ...h, '@evil/x': { dtype: 'F32', shape: [0], data_offsets: [0, 0] } }), /tensor '@evil\/x' is in no dlm name space/],
  ];
  for (const [name, edit, message] of cases) {
    test(`${name}: exit 1 naming it`, async () => {
      const { header, data } = parts(readFileSync(GOOD));
      const p = join(dir, `bad-${name.replace(/\W+/g, '_')}.safetensors`);
      writeFileSync(p, withHeader(edit(header), data));
      const r = await run('eval', MODEL, '--data', DATA, '--checkpoint', p);
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(1);
    });
  }

  test('a header length beyond the file, invalid JSON, and /dev/zero: exit 1', async () => {
    const bytes = readFileSync(GOOD);
    const long = Buffer.from(bytes);
    long.writeBigUInt64LE(1n << 40n);
    writeFileSync(join(dir, 'long.safetensors'), long);
    expect((await run('eval', MODEL, '--data', DATA, '--checkpoint', join(dir, 'long.safetensors'))).stderr).toMatch(
      /header length 1099511627776 exceeds the file size/,
    );
    writeFileSync(join(dir, 'json.safetensors'), withHeader(null, new Uint8Array(0), '{"a":'));
    expect((await run('eval', MODEL, '--checkpoint', join(dir, 'json.safetensors'))).stderr).toMatch(/invalid header JSON/);
    const z = await run('eval', MODEL, '--data', DATA, '--checkpoint', '/dev/zero');
    expect(z.code).toBe(1);
    expect(z.stderr).toMatch(/not a regular file/);
  });

  test('NaN or Inf in a parameter is an error naming the tensor (eval and --init-from)', async () => {
    const bytes = Buffer.from(readFileSync(GOOD));
    const { header } = parts(bytes);
    const n = Number(bytes.readBigUInt64LE(0));
    bytes.writeFloatLE(NaN, 8 + n + header['l2.W'].data_offsets[0] + 4 * 5);
    const p = join(dir, 'nan.safetensors');
    writeFileSync(p, bytes);
    const e = await run('eval', MODEL, '--data', DATA, '--checkpoint', p);
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/'l2\.W' holds NaN at element 5/);
    const i = await run('train', MODEL, '--data', DATA, '--init-from', p, '--out', join(dir, 'x.safetensors'));
    expect(i.code).toBe(1);
    expect(i.stderr).toMatch(/'l2\.W' holds NaN at element 5/);
  });

  test('--resume with missing, oversized or foreign optimizer state: exit 1 suggesting --init-from', async () => {
    const { header, data } = parts(readFileSync(GOOD));
    const drop = { ...header };
    delete drop['@optimizer/l1.W.v'];
    const big = { ...header, '@optimizer/l1.b.m': { dtype: 'F32', shape: [4, 64], data_offsets: [data.length, data.length + 1024] } };
    const sgd = { ...header, __metadata__: { ...header.__metadata__, optimizer: 'sgd' } };
    for (const [h, msg] of [
      [drop, /missing optimizer state 'l1\.W\.v'/],
      [big, /optimizer state 'l1\.b\.m' has shape \[4, 64\], l1\.b is \[64\]/],
      [sgd, /was trained with sgd, not adam/],
    ] as const) {
      const p = join(dir, 'resume-bad.safetensors');
      writeFileSync(p, withHeader(h, h === big ? Buffer.concat([data, Buffer.alloc(1024)]) : data));
      const r = await run('train', MODEL, '--data', DATA, '--epochs', '2', '--resume', p, '--out', join(dir, 'resumed.safetensors'));
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).toContain(`--init-from ${p}`);
      expect(r.code).toBe(1);
    }
  });

  test('cut at every 1 KiB boundary: a DataError naming the file, and the model is left as it was', () => {
    const bytes = readFileSync(GOOD);
    expect(bytes.length).toBeGreaterThan(6 * 1024);
    const m = compileOk(SRC).model();
    const before = m.params['l1.W']!.slice();
    const p = join(dir, 'cut.safetensors');
    for (let k = 0; k * 1024 < bytes.length; k++) {
      writeFileSync(p, bytes.subarray(0, k * 1024));
      let err: unknown;
      try {
        loadParams(m, p);
      } catch (e) {
        err = e;
      }
      expect(err, `cut at ${k} KiB`).toBeInstanceOf(DataError);
      expect((err as Error).message).toMatch(/cut\.safetensors: .*(too short|exceeds the file size|outside the file)/);
      expect(m.params['l1.W']).toEqual(before);
    }
  });
});

describe('name spaces and conversions', () => {
  test('parameter keys are the model paths; optimizer state and metadata live apart', () => {
    const { tensors, metadata } = loadSafetensors(GOOD);
    expect(
      Object.keys(tensors)
        .filter((k) => !k.startsWith('@'))
        .sort(),
    ).toEqual(['l1.W', 'l1.b', 'l2.W', 'l2.b']);
    expect(Object.keys(tensors)).toContain('@optimizer/l1.W.m');
    expect(metadata).toMatchObject({ format: 'dlm', schema: '2', model: 'Tiny', optimizer: 'adam' });
  });

  test('F64, F16 and BF16 parameters load as float32', () => {
    const m = compileOk(SRC).model();
    const t: Record<string, { data: Float32Array | Float64Array; shape: number[] }> = {};
    for (const p of m.ir.params) t[p.name] = { data: new Float64Array(m.params[p.name]!.length).fill(0.25), shape: p.type.shape as number[] };
    const p64 = join(dir, 'f64.safetensors');
    writeFileSync(p64, encodeSafetensors(t));
    loadParams(m, p64);
    expect(m.params['l1.W']![3]).toBe(0.25);
    // F16 1.5 = 0x3e00, −2 = 0xc000; BF16 1.5 = 0x3fc0 — rewrite the F64 file's header and data
    for (const [dtype, bits, want] of [
      ['F16', 0x3e00, 1.5],
      ['BF16', 0x3fc0, 1.5],
      ['F16', 0xc000, -2],
    ] as const) {
      const header: Record<string, unknown> = {};
      let off = 0;
      const chunks: Buffer[] = [];
      for (const p of m.ir.params) {
        const n = m.params[p.name]!.length;
        header[p.name] = { dtype, shape: p.type.shape, data_offsets: [off, off + 2 * n] };
        const b = Buffer.alloc(2 * n);
        for (let i = 0; i < n; i++) b.writeUInt16LE(bits, 2 * i);
        chunks.push(b);
        off += 2 * n;
      }
      const p = join(dir, `${dtype}.safetensors`);
      writeFileSync(p, withHeader(header, Buffer.concat(chunks)));
      loadParams(m, p);
      expect(m.params['l2.b']![2]).toBe(want);
    }
  });

  test('a parameter named __metadata__ or optimizer saves and loads (no collision with safetensors or optimizer keys)', async () => {
    const src = `model Odd {
  input x: f32[B, 2]
  target y: f32[B]
  param __metadata__: f32[2] = zeros
  param optimizer: f32[2] = zeros
  loss mean(square(sum(x * __metadata__ + x * optimizer, axis = 1) - y))
  optimizer adam(lr = 0.1)
}
`;
    const f = join(dir, 'odd.dlm');
    writeFileSync(f, src);
    const csv = join(dir, 'odd.csv');
    writeFileSync(csv, ['a,b,y', ...Array.from({ length: 16 }, (_, i) => `${i % 4},${i % 3},${i % 2}`)].join('\n') + '\n');
    const ck = join(dir, 'odd.safetensors');
    const r = await run('train', f, '--data', csv, '--epochs', '2', '--batch', '4', '--out', ck);
    expect(r.code, r.stderr).toBe(0);
    const { tensors } = loadSafetensors(ck);
    expect(Object.keys(tensors)).toContain('@model/__metadata__');
    expect(Object.keys(tensors)).toContain('optimizer');
    const again = await run('train', f, '--data', csv, '--epochs', '3', '--batch', '4', '--resume', ck, '--out', ck);
    expect(again.code, again.stderr).toBe(0);
  });
});
