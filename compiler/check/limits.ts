// Budgets that keep any .dlm file, however hostile or huge, from exhausting the compiler's time, memory
// or stack: a program that exceeds one gets a diagnostic (E06xx) that says which limit and how to raise
// it, never a crash. The CLI's --max-* flags and the library's `limits` option set them.
import { totalmem } from 'node:os';
import type { Diagnostic } from '../diagnostics/diagnostic.js';

export interface Limits {
  /** IR nodes one model may elaborate to. Functions are inlined at every call, so nested calls multiply. */
  readonly maxNodes: number;
  /** Calls of functions and layers being inlined inside each other at once. */
  readonly maxCallDepth: number;
  /** Imports nested inside each other (a imports b imports c …). */
  readonly maxImportDepth: number;
  /** Nesting of brackets and of expressions in one source file. */
  readonly maxNesting: number;
  /** Bytes of one source file. */
  readonly maxSourceBytes: number;
  /** Bytes one model's parameters, or one compiled step's buffers, may take. */
  readonly maxMemory: number;
}

/** The most elements (and the largest dimension) one tensor may have: 2³¹ − 1, the typed-array index range dlm plans for. */
export const MAX_ELEMENTS = 2 ** 31 - 1;

/** The machine's memory; 4 GiB where it cannot be asked (a browser, where node:os is a stub). */
function machineMemory(): number {
  try {
    const m = totalmem();
    return Number.isFinite(m) && m > 0 ? m : 4 * 2 ** 30;
  } catch {
    return 4 * 2 ** 30;
  }
}

export const DEFAULT_LIMITS: Limits = {
  maxNodes: 200_000,
  maxCallDepth: 128,
  maxImportDepth: 64,
  maxNesting: 256,
  maxSourceBytes: 1 << 20,
  // Half of this machine's memory: a model that needs more would swap or be killed.
  maxMemory: Math.floor(machineMemory() / 2),
};

/** The limits in force: the defaults, with what the caller gave. */
export const limitsOf = (given: Partial<Limits> = {}): Limits => ({ ...DEFAULT_LIMITS, ...given });

/** Stops elaboration of a model; the checker reports its diagnostic. */
export class LimitExceeded extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
    this.name = 'LimitExceeded';
  }
}

// No regular expression here: this runs when the stack is nearly exhausted, and compiling one can itself overflow.
export const isStackOverflow = (e: unknown): boolean => e instanceof RangeError && String(e.message).includes('call stack');

/** 1234567 → "1,234,567"; beyond 1e21 in exponent form. */
export const fmtCount = (n: number): string => (Number.isFinite(n) && n < 1e21 ? Math.round(n).toLocaleString('en-US') : n.toExponential(3));

/** Bytes as B / KiB / MiB / GiB / TiB (a figure for people, not a parser). */
export const fmtBytes = (n: number): string => {
  if (!Number.isFinite(n)) return `${n} bytes`;
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} bytes` : i === units.length - 1 && n >= 1024 ? `${n.toExponential(2)} TiB` : `${n.toFixed(1)} ${units[i]}`;
};

/** Parses a size such as `2G`, `512M`, `1.5GiB`, `1000000` (bytes); undefined if it is not one. */
export const parseSize = (s: string): number | undefined => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$/i.exec(s);
  if (!m) return undefined;
  const scale = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  const v = Math.floor(Number(m[1]) * scale);
  return Number.isSafeInteger(v) && v > 0 ? v : undefined;
};
