// The run-time part of a standalone module (`dlm compile --emit module`), as JavaScript text: it is
// printed into every module, after the generated kernels and the tables describing them, so the module
// needs nothing from dlm. It reads these module-level constants, emitted by standalone.ts:
//   MODEL (name), SEED, TRAIN (optimizer, lr, slots) or null, DECLARED ({ inputs, outputs }),
//   SPECS: [{ kind: 'predict'|'step', shapes: {input: shape}, variants: [{ make, arenaSize, homes, inputs, outputs }] }],
//   WEIGHT_NAMES: [{ name, shape, slot? }], WEIGHTS_B64 (safetensors bytes), WASM_B64 and WASM_FMA_B64 (the SIMD matmul kernels
//   without and with relaxed SIMD's fused multiply-add) and WASM_SCRATCH (the bytes of scratch they need).
// Nothing here uses eval or new Function: the kernels are functions of the module itself.

export const RUNTIME_JS = String.raw`
// ---- run time (printed by dlm; no dependency on it) ----------------------------------------------
const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
// Names are the model's (a parameter may be called __proto__ or toString): always own properties.
const setOwn = (o, k, v) => { Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true }); };
const sizeOf = (shape) => shape.reduce((a, b) => a * b, 1);

function fromBase64(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

let wasmModule;
// One WebAssembly memory per specialization: the arena, then a home for each float32 weight the SIMD kernels read.
function wasmHeap(arenaSize, homeSizes) {
  // the kernels with relaxed SIMD's fused multiply-add where the engine validates them
  if (!wasmModule) {
    const fma = fromBase64(WASM_FMA_B64);
    wasmModule = new WebAssembly.Module(WebAssembly.validate(fma) ? fma : fromBase64(WASM_B64));
  }
  const floats = arenaSize + homeSizes.reduce((a, b) => a + b, 0);
  // the kernels' scratch (WASM_SCRATCH bytes) after the homes, 16-byte aligned
  const scratch = Math.ceil((floats * 4) / 16) * 16;
  const memory = new WebAssembly.Memory({ initial: Math.ceil((scratch + WASM_SCRATCH) / 65536) });
  const instance = new WebAssembly.Instance(wasmModule, { env: { memory, scratch } });
  const arena = new Float32Array(memory.buffer, 0, arenaSize);
  let at = arenaSize;
  const homes = homeSizes.map((n) => { const h = new Float32Array(memory.buffer, at * 4, n); at += n; return h; });
  return { arena, homes, mm_rows: instance.exports.mm_rows, mm_dots: instance.exports.mm_dots };
}

// The first variant that loads: SIMD kernels need WebAssembly (refused, for instance, by a
// Content-Security-Policy without 'wasm-unsafe-eval'); the scalar variant needs nothing.
function instantiate(spec) {
  let failure;
  for (const v of spec.variants) {
    if (!v.homes) {
      const arena = new Float32Array(v.arenaSize);
      return { variant: v, homes: [], ...v.make(arena, []) };
    }
    let heap;
    try { heap = wasmHeap(v.arenaSize, v.homes.map((h) => h.size)); } catch (e) { failure = e; continue; }
    const homes = [];
    v.homes.forEach((h, i) => { homes[h.input] = heap.homes[i]; });
    return { variant: v, homes, ...v.make(heap.arena, homes, heap.mm_rows, heap.mm_dots) };
  }
  throw failure;
}

const weights = new Map();
const shapeOfWeight = new Map(WEIGHT_NAMES.map((w) => [w.name, w.shape]));
let stepCount = 0;
let learningRate = TRAIN ? TRAIN.lr : 0;
const live = new Map();

const fmtShape = (s) => '[' + s.join(', ') + ']';
const fmtDeclared = (name, d) => name + ': ' + d.dtype + (d.shape.length ? fmtShape(d.shape) : '');
const compiledSizes = (kind) => SPECS.filter((s) => s.kind === kind).map((s) => Object.entries(s.shapes).map(([k, v]) => k + fmtShape(v)).join(' ')).join('; ');

function checkTensor(fn, name, t) {
  if (t === null || typeof t !== 'object' || !ArrayBuffer.isView(t.data) || !Array.isArray(t.shape)) {
    throw new TypeError(MODEL + '.' + fn + ': input \'' + name + '\' must be { data: a typed array, shape: number[] }');
  }
  if (t.data.length !== sizeOf(t.shape)) {
    const want = sizeOf(t.shape);
    throw new RangeError(MODEL + '.' + fn + ': \'' + name + '\' has ' + t.data.length + ' elements but its shape ' + fmtShape(t.shape) + ' needs ' + want);
  }
}

// The specialization compiled for these shapes; the dims (B, …) are bound by the shapes given.
function pick(kind, given, allowMiss = false) {
  const fn = kind === 'predict' ? 'predict' : 'step';
  if (given === null || typeof given !== 'object') throw new TypeError(MODEL + '.' + fn + ' expects an object of named inputs');
  const first = SPECS.find((s) => s.kind === kind);
  if (!first) throw new TypeError(MODEL + ': this module was compiled without --train, so it has no step()');
  for (const name of Object.keys(first.shapes)) {
    const declared = fmtDeclared(name, DECLARED.inputs[name]);
    if (!hasOwn(given, name)) throw new TypeError(MODEL + '.' + fn + ': missing input \'' + name + '\' (declared as ' + declared + ')');
    checkTensor(fn, name, given[name]);
  }
  for (const s of SPECS) {
    if (s.kind !== kind) continue;
    let ok = true;
    for (const [name, shape] of Object.entries(s.shapes)) {
      const t = given[name].shape;
      if (t.length !== shape.length || t.some((d, i) => d !== shape[i])) { ok = false; break; }
    }
    if (ok) return s;
  }
  if (allowMiss) return undefined;
  const got = Object.keys(first.shapes).map((n) => n + fmtShape(given[n].shape)).join(' ');
  const declared = Object.keys(first.shapes).map((n) => fmtDeclared(n, DECLARED.inputs[n])).join(', ');
  throw new RangeError(MODEL + '.' + fn + ': no specialization for ' + got + ' (declared ' + declared + '); this module was compiled for ' +
    compiledSizes(kind) + ' (dlm compile --emit module --dim NAME=N,M,… adds sizes)');
}

function runSpec(spec, given) {
  let m = live.get(spec);
  if (!m) { m = instantiate(spec); live.set(spec, m); }
  const v = m.variant;
  const ins = v.inputs.map((inp, i) => {
    switch (inp.src) {
      case 'batch': return given[inp.name].data;
      case 'weight': {
        // A weight the SIMD kernels read lives in this specialization's memory (its home) while it is used here.
        const home = m.homes[i];
        if (home && weights.get(inp.name) !== home) { home.set(weights.get(inp.name)); weights.set(inp.name, home); }
        return weights.get(inp.name);
      }
      case 'key': return Float32Array.of(spec.kind === 'step' ? (SEED * 7919 + stepCount * 31) % 16777216 : SEED);
      case 'training': return Float32Array.of(spec.kind === 'step' ? 1 : 0);
      case 'lr': return Float32Array.of(learningRate);
      case 't': return Float32Array.of(stepCount);
      default: throw new Error('unknown input source ' + inp.src);
    }
  });
  const applied = m.run(ins);
  const outputs = {};
  for (const o of v.outputs) setOwn(outputs, o.name, { data: m.buffers[o.buf].slice(), shape: o.shape.slice() });
  return { applied, outputs };
}

/**
 * The model's outputs for named inputs ({ data, shape } each); the shapes bind the symbolic dims. A
 * model whose rows are independent (ROW_DIM) runs any batch size in chunks of the compiled sizes, the
 * last one padded with zero rows that are dropped from the outputs.
 */
export function predict(inputs) {
  const spec = pick('predict', inputs, ROW_DIM !== null);
  if (spec) return runSpec(spec, inputs).outputs;
  return predictInChunks(inputs);
}

function predictInChunks(inputs) {
  const names = Object.keys(SPECS.find((s) => s.kind === 'predict').shapes);
  const B = inputs[names[0]].shape[0];
  const sizes = SPECS.filter((s) => s.kind === 'predict').map((s) => s.dims[ROW_DIM]).sort((a, b) => b - a);
  const rest = (n) => { const d = DECLARED.inputs[n].shape.slice(1); return d; };
  for (const n of names) {
    const t = inputs[n];
    if (t.shape.length !== 1 + rest(n).length || t.shape[0] !== B || t.shape.slice(1).some((d, i) => d !== rest(n)[i])) pick('predict', inputs);
  }
  const outputs = {};
  for (let at = 0; at < B;) {
    const left = B - at;
    const size = sizes.find((s) => s <= left) ?? sizes[sizes.length - 1];
    const chunk = {};
    for (const n of names) {
      const t = inputs[n], w = sizeOf(t.shape.slice(1));
      const data = new t.data.constructor(size * w);
      data.set(t.data.subarray(at * w, Math.min(B, at + size) * w));
      setOwn(chunk, n, { data, shape: [size, ...t.shape.slice(1)] });
    }
    const got = runSpec(pick('predict', chunk), chunk).outputs;
    const rows = Math.min(size, left);
    for (const [k, o] of Object.entries(got)) {
      const w = sizeOf(o.shape.slice(1));
      if (!hasOwn(outputs, k)) setOwn(outputs, k, { data: new Float32Array(B * w), shape: [B, ...o.shape.slice(1)] });
      outputs[k].data.set(o.data.subarray(0, rows * w), at * w);
    }
    at += rows;
  }
  return outputs;
}

/** One optimizer step (forward, backward, update) on a batch; returns the loss before the update. */
export function step(batch) {
  const spec = pick('step', batch);
  stepCount += 1;
  const { applied, outputs } = runSpec(spec, batch);
  const loss = outputs.loss.data[0];
  if (!applied) {
    stepCount -= 1;
    throw new RangeError(MODEL + '.step: the loss became ' + loss + ' at step ' + (stepCount + 1) + '; the weights were left as they were before this step');
  }
  delete outputs.loss;
  return { loss, outputs };
}

/** Optimizer steps taken so far; the learning rate used by the next step (settable for schedules). */
export const training = {
  get step() { return stepCount; },
  get lr() { return learningRate; },
  set lr(v) { if (!(typeof v === 'number' && Number.isFinite(v))) throw new RangeError('lr must be a finite number'); learningRate = v; },
};

function decodeSafetensors(bytes) {
  const buf = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (buf.length < 8) throw new RangeError('not a safetensors file (too short)');
  const n = Number(new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getBigUint64(0, true));
  if (n > buf.length - 8) throw new RangeError('safetensors header length ' + n + ' exceeds the file size');
  const header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + n)));
  const tensors = new Map();
  for (const [k, v] of Object.entries(header)) {
    if (k === '__metadata__') continue;
    const [s, e] = v.data_offsets ?? [-1, -1];
    const count = sizeOf(v.shape ?? []);
    if (v.dtype !== 'F32') { tensors.set(k, { dtype: v.dtype, shape: v.shape ?? [] }); continue; }
    if (!(s >= 0 && e - s === count * 4 && 8 + n + e <= buf.length)) throw new RangeError('safetensors tensor \'' + k + '\' has bad data offsets');
    const copy = new Uint8Array(buf.subarray(8 + n + s, 8 + n + e));
    tensors.set(k, { dtype: 'F32', shape: v.shape ?? [], data: new Float32Array(copy.buffer, 0, count) });
  }
  return { tensors, metadata: hasOwn(header, '__metadata__') ? header.__metadata__ : {} };
}

/**
 * Replaces the weights from safetensors bytes (a dlm checkpoint, or saveWeights() output): every
 * parameter and state must be there with its shape; optimizer state ('optimizer.' keys) is read when
 * this module trains. Nothing changes unless everything checks.
 */
export function setWeights(bytes) {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const next = new Map();
  for (const w of WEIGHT_NAMES) {
    // dlm's name spaces: '@optimizer/' (schema 2) or 'optimizer.' (schema 1) for optimizer state, '@model/' for a reserved parameter path.
    const keys = w.slot ? ['@optimizer/' + w.name, 'optimizer.' + w.name] : [w.name, '@model/' + w.name];
    const key = keys.find((k) => tensors.has(k)) ?? keys[0];
    const t = tensors.get(key);
    if (!t && w.slot) { next.set(w.name, new Float32Array(sizeOf(w.shape))); continue; }
    if (!t) throw new RangeError('weights: no tensor \'' + key + '\'');
    if (t.dtype !== 'F32') throw new RangeError('weights: \'' + key + '\' is ' + t.dtype + ', not F32');
    if (fmtShape(t.shape) !== fmtShape(w.shape)) {
      throw new RangeError('weights: \'' + key + '\' has shape ' + fmtShape(t.shape) + ' but ' + MODEL + ' declares ' + fmtShape(w.shape));
    }
    next.set(w.name, t.data);
  }
  if (TRAIN && metadata.optimizer !== undefined && metadata.optimizer !== TRAIN.optimizer) {
    throw new RangeError('weights: trained with ' + metadata.optimizer + ', not ' + TRAIN.optimizer);
  }
  for (const [k, v] of next) {
    const cur = weights.get(k);
    if (cur) cur.set(v); else weights.set(k, v);
  }
  if (TRAIN) stepCount = Number(metadata.step ?? 0) || 0;
}

/** Loads weights from safetensors bytes, or fetches them from a URL first. */
export async function loadWeights(source) {
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) return setWeights(source);
  const res = await fetch(source);
  if (!res.ok) throw new Error('loadWeights: ' + res.status + ' ' + res.statusText + ' for ' + source);
  setWeights(new Uint8Array(await res.arrayBuffer()));
}

/** Copies of the current weights by name (parameters and states; optimizer slots as 'optimizer.NAME'). */
export function getWeights() {
  const out = {};
  for (const w of WEIGHT_NAMES) setOwn(out, w.slot ? 'optimizer.' + w.name : w.name, { data: weights.get(w.name).slice(), shape: w.shape.slice() });
  return out;
}

/** The weights as safetensors bytes, in the layout of dlm's checkpoints (loadable by dlm run --checkpoint). */
export function saveWeights() {
  const all = getWeights();
  const names = Object.keys(all).sort();
  const meta = { format: 'dlm', model: MODEL, model_hash: MODEL_HASH };
  if (TRAIN) { meta.optimizer = TRAIN.optimizer; meta.step = String(stepCount); }
  const header = { __metadata__: meta };
  let offset = 0;
  for (const n of names) {
    setOwn(header, n, { dtype: 'F32', shape: all[n].shape, data_offsets: [offset, offset + all[n].data.byteLength] });
    offset += all[n].data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let p = 8 + head.length;
  for (const n of names) { out.set(new Uint8Array(all[n].data.buffer), p); p += all[n].data.byteLength; }
  return out;
}

/** What this module is: the model, its declared inputs and outputs, and the shapes it was compiled for. */
export const info = {
  model: MODEL,
  inputs: DECLARED.inputs,
  outputs: DECLARED.outputs,
  compiled: SPECS.map((s) => ({ kind: s.kind, shapes: s.shapes })),
  rowDim: ROW_DIM,
  training: TRAIN,
};

setWeights(fromBase64(WEIGHTS_B64));
`;
