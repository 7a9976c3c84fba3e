// Shared WebAssembly memory for the worker threads (threads.ts): whether this engine can make one, and a
// module's memory import rewritten to import a shared memory (threads proposal: limits flag 0x03, a
// maximum required). A module declares whether the memory it imports is shared, and a memory only
// matches an import that says the same, so the printed modules (which import a plain memory) are
// rewritten at load time rather than printed twice. Nothing else in the module changes.

/** The largest wasm32 memory, in 64 KiB pages: the maximum every rewritten import declares. */
const MAX_PAGES = 65536;

/** Why a shared memory cannot be made here (undefined: it can). */
export const sharedMemoryUnavailable = (): string | undefined => {
  if (typeof SharedArrayBuffer !== 'function') return 'SharedArrayBuffer is unavailable (a browser page needs cross-origin isolation: COOP and COEP headers)';
  const g = globalThis as { crossOriginIsolated?: boolean };
  if (g.crossOriginIsolated === false) return 'the page is not cross-origin isolated (COOP and COEP headers), so memory cannot be shared';
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  } catch (e) {
    return `this engine cannot make a shared WebAssembly memory (${e instanceof Error ? e.message : String(e)})`;
  }
  return undefined;
};

const leb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};

/** Reads an unsigned LEB128 at `at`: [value, next position]. */
const readLeb = (b: Uint8Array, at: number): [number, number] => {
  let v = 0,
    scale = 1;
  for (;;) {
    const x = b[at++];
    if (x === undefined) throw new Error('wasm threads: truncated module');
    v += (x & 0x7f) * scale;
    scale *= 128;
    if (!(x & 0x80)) return [v, at];
  }
};

/** The module with every imported memory declared shared (same minimum, maximum 4 GiB); other sections as they were. */
export const shareMemoryImport = (bytes: Uint8Array): Uint8Array => {
  const out: number[] = [...bytes.subarray(0, 8)];
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at]!;
    const [size, body] = readLeb(bytes, at + 1);
    const end = body + size;
    if (id !== 2) {
      for (let i = at; i < end; i++) out.push(bytes[i]!);
      at = end;
      continue;
    }
    // the import section: vec of (module name, field name, kind, description)
    let p = body;
    const sec: number[] = [];
    const copy = (to: number) => {
      for (; p < to; p++) sec.push(bytes[p]!);
    };
    const name = () => {
      const [n, q] = readLeb(bytes, p);
      copy(q + n);
    };
    const skipLeb = () => copy(readLeb(bytes, p)[1]);
    const [count, q0] = readLeb(bytes, p);
    copy(q0);
    for (let i = 0; i < count; i++) {
      name();
      name();
      const kind = bytes[p]!;
      copy(p + 1);
      if (kind === 0) skipLeb();
      else if (kind === 1 || kind === 2) {
        if (kind === 1) copy(p + 1); // the table's element type
        const flags = bytes[p++]!;
        const [min, q] = readLeb(bytes, p);
        p = q;
        let max: number | undefined;
        if (flags & 1) [max, p] = readLeb(bytes, p);
        if (kind === 2) sec.push(0x03, ...leb(min), ...leb(MAX_PAGES));
        else sec.push(flags, ...leb(min), ...(max === undefined ? [] : leb(max)));
      } else if (kind === 3)
        copy(p + 2); // a global: value type, mutability
      else throw new Error(`wasm threads: unknown import kind ${kind}`);
    }
    copy(end);
    out.push(2, ...leb(sec.length), ...sec);
    at = end;
  }
  return new Uint8Array(out);
};
