// The source of one worker of the WebAssembly thread pool (threads.ts), run by Node's worker_threads
// (eval) or a browser's Worker (from a Blob URL): plain JavaScript with no imports, the same text for both.
//
// Control block (an Int32Array over a SharedArrayBuffer; the slot numbers below):
//   TICKET   generation (19 bits) << 12 | next unit (12 bits). A thread claims a unit with a compare-and-swap
//            that keeps the generation, so a late worker of one job can never claim a unit of the next.
//   DONE     units finished; UNITS, KEY (which registered memory), FN (which of its functions), ARITY,
//            THREADS (workers with id ≥ THREADS − 1 sit the job out), ERROR (a unit threw; its message
//            in the bytes from MSG), STOP, and each unit's arguments from ARGS, ARITY per unit.
// A worker runs a job's units until none is left, then spins up to HOT_MS for the next job if this one
// came that soon after the one before (a training step's products in a row find it awake) and otherwise
// waits with Atomics.waitAsync, so its event loop stays free for the messages that add and drop memories.

export const SLOT = { TICKET: 0, DONE: 1, UNITS: 2, KEY: 3, FN: 4, ARITY: 5, THREADS: 6, ERROR: 7, STOP: 8, READY: 9, ARGS: 16 } as const;
export const MAX_UNITS = 64;
export const MAX_ARITY = 12;
/** Byte offset of the error message (UTF-8, its length in the first 4 bytes) and its room. */
export const MSG = (SLOT.ARGS + MAX_UNITS * MAX_ARITY) * 4;
export const MSG_BYTES = 1024;
export const CONTROL_BYTES = MSG + 4 + MSG_BYTES;
export const GEN_SHIFT = 12;
export const GEN_MASK = (1 << 19) - 1;
/** A worker's spin for the next job after jobs in a row, ms. */
const HOT_MS = 0.05;

export const WORKER_SOURCE = String.raw`'use strict';
const S = ${JSON.stringify(SLOT)}, MSG = ${MSG}, MSG_BYTES = ${MSG_BYTES}, SHIFT = ${GEN_SHIFT}, HOT_MS = ${HOT_MS};
const node = typeof require === 'function' ? require('node:worker_threads') : undefined;
const post = (m) => (node ? node.parentPort.postMessage(m) : self.postMessage(m));
const memories = new Map(); // key → functions by index
let ctrl, bytes, id;
const fail = (e) => {
  const text = new TextEncoder().encode(String(e && e.stack ? e.stack : e)).subarray(0, MSG_BYTES);
  new Int32Array(ctrl.buffer, MSG, 1)[0] = text.length;
  bytes.set(text, MSG + 4);
  Atomics.store(ctrl, S.ERROR, 1);
};
const instantiate = (m) => {
  // m.modules[i]: { module, math: [[name, source]], kernels: index of an earlier instance whose exports it imports }
  const instances = [];
  for (const x of m.modules) {
    // the math functions in one scope, as the JavaScript printer's prelude defines them
    const decls = x.math.map(([n, src]) => 'const ' + n + ' = (' + src + ');').join('\n');
    const math = (0, eval)('(() => {\n' + decls + '\nreturn { ' + x.math.map(([n]) => n).join(', ') + ' };\n})()');
    const kernels = x.kernels === undefined ? {} : instances[x.kernels].exports;
    const env = { memory: m.memory };
    for (const [n, [base, stride]] of Object.entries(x.perThread || {})) env[n] = base + id * stride;
    instances.push(new WebAssembly.Instance(x.module, { env, math, kernels, threads: { par: () => 0 } }));
  }
  return m.fns.map(([i, name]) => instances[i].exports[name]);
};
const onMessage = (m) => {
  if (m.type === 'init') {
    ctrl = new Int32Array(m.control);
    bytes = new Uint8Array(m.control);
    id = m.id;
    Atomics.add(ctrl, S.READY, 1);
    loop();
  } else if (m.type === 'add') {
    if (id >= m.slots) return; // no room in this memory for this thread's scratch
    try {
      memories.set(m.key, instantiate(m));
    } catch (e) {
      post({ type: 'error', message: String(e && e.stack ? e.stack : e) });
    }
  } else if (m.type === 'drop') memories.delete(m.key);
};
if (node) node.parentPort.on('message', onMessage);
else self.onmessage = (e) => onMessage(e.data);

const claim = (gen) => {
  let t = Atomics.load(ctrl, S.TICKET);
  // a memory this worker has not instantiated yet (its message still on the way): the others do the units
  while (t >>> SHIFT === gen && (t & 4095) < ctrl[S.UNITS] && memories.has(ctrl[S.KEY])) {
    if (Atomics.compareExchange(ctrl, S.TICKET, t, t + 1) !== t) {
      t = Atomics.load(ctrl, S.TICKET);
      continue;
    }
    const u = t & 4095, units = ctrl[S.UNITS], fns = memories.get(ctrl[S.KEY]), arity = ctrl[S.ARITY];
    try {
      const f = fns && fns[ctrl[S.FN]];
      if (!f) throw new Error('wasm worker ' + id + ': no function ' + ctrl[S.FN] + ' for memory ' + ctrl[S.KEY]);
      const a = S.ARGS + u * arity;
      const c = ctrl;
      f(c[a], c[a + 1], c[a + 2], c[a + 3], c[a + 4], c[a + 5], c[a + 6], c[a + 7], c[a + 8], c[a + 9], c[a + 10], c[a + 11]);
    } catch (e) {
      fail(e);
    }
    if (Atomics.add(ctrl, S.DONE, 1) + 1 === units) Atomics.notify(ctrl, S.DONE);
    t = Atomics.load(ctrl, S.TICKET);
  }
};

async function loop() {
  let seen = Atomics.load(ctrl, S.TICKET) >>> SHIFT, hot = false;
  for (;;) {
    const t0 = performance.now();
    let t;
    for (;;) {
      t = Atomics.load(ctrl, S.TICKET);
      if (t >>> SHIFT !== seen) break;
      if (hot && performance.now() - t0 < HOT_MS) continue;
      if (Atomics.load(ctrl, S.STOP)) return;
      const w = Atomics.waitAsync(ctrl, S.TICKET, t);
      if (w.async) await w.value;
    }
    if (Atomics.load(ctrl, S.STOP)) return;
    // this job came within HOT_MS of the end of the last one: spin for the next
    hot = performance.now() - t0 < HOT_MS;
    seen = t >>> SHIFT;
    // the caller is thread 0, workers 1, 2, …
    if (id < ctrl[S.THREADS]) claim(seen);
  }
}
`;
