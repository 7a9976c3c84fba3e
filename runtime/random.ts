// Seeded PRNG: xoshiro128** seeded through splitmix32, integer arithmetic only, so the same seed gives
// the same sequence on every machine. normal() is Box–Muller over uniform().
const splitmix32 = (seed: number) => () => {
  seed = (seed + 0x9e3779b9) >>> 0;
  let z = seed;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
};

/** A generator's complete state (xoshiro128** words and the spare normal), for checkpoints. */
export interface RngState {
  readonly s: readonly [number, number, number, number];
  readonly spare: number | null;
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | undefined;

  constructor(readonly seed: number) {
    const sm = splitmix32(seed >>> 0);
    this.s0 = sm();
    this.s1 = sm();
    this.s2 = sm();
    this.s3 = sm();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    return result;
  }

  getState(): RngState {
    return { s: [this.s0, this.s1, this.s2, this.s3], spare: this.spare ?? null };
  }

  /** Continues exactly where a generator with this state was (validated: four uint32 words, not all zero). */
  setState(st: RngState): void {
    const ok = Array.isArray(st?.s) && st.s.length === 4 && st.s.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) && st.s.some((w) => w !== 0);
    if (!ok || !(st.spare === null || typeof st.spare === 'number')) throw new RangeError('invalid random generator state');
    [this.s0, this.s1, this.s2, this.s3] = st.s;
    this.spare = st.spare ?? undefined;
  }

  /** Uniform in [0, 1) with 32 random bits. */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** Standard normal (Box–Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in [0, n) without modulo bias. */
  int(n: number): number {
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
  }

  shuffle<T>(a: T[] | Int32Array | Uint32Array): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
  }

  permutation(n: number): Int32Array {
    const p = Int32Array.from({ length: n }, (_, i) => i);
    this.shuffle(p);
    return p;
  }

  /** An independent generator for a numbered stream, derived from this one's seed. */
  fork(stream: number): Rng {
    return new Rng(splitmix32(((this.seed >>> 0) ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0)());
  }
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;
