// The page tests/wasmThreadsBrowser.test.ts loads: the wasm thread pool in a browser (a Blob-URL Worker over a
// shared memory), one job of 32 units whose caller takes a millisecond a unit, so the worker claims some.
import { I32, get, i32, programModule } from '../../runtime/wasm/encode.js';
import { setWasmThreads, threadedMemory, wasmThreadStats, wasmThreadsReady } from '../../runtime/wasm/threads.js';
import { shareMemoryImport } from '../../runtime/wasm/threadsMemory.js';
declare const document: { title: string };

const run = async () => {
  setWasmThreads(2);
  await wasmThreadsReady();
  const t = threadedMemory(1);
  if (!t) return { threaded: false, isolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated };
  const bytes = programModule([], [{ params: [I32], results: [], locals: [], body: [...get(0), ...i32(4), 0x6c, ...get(0), 0x36, 2, 0], export: 'ok' }], 1);
  t.register({ slots: 2, modules: [{ module: new WebAssembly.Module(shareMemoryImport(bytes)), math: [] }], fns: [[0, 'ok']] }, {});
  const args = Int32Array.from({ length: 32 }, (_, u) => u);
  const view = new Int32Array(t.memory.buffer, 0, 32);
  const slow = (u: number) => {
    const t0 = performance.now();
    while (performance.now() - t0 < 1);
    view[u] = u;
  };
  for (let i = 0; i < 100; i++) {
    view.fill(-1);
    t.run(0, 32, 1, args, slow);
    const s = wasmThreadStats();
    if (s.units > s.mine)
      return {
        threaded: true,
        ok: [...view].every((v, u) => v === u),
        stats: s,
        isolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated,
      };
    await new Promise((r) => setTimeout(r, 10));
  }
  return { threaded: true, workerRan: false, stats: wasmThreadStats() };
};
(globalThis as unknown as { go: typeof run }).go = run;
document.title = 'ready';
