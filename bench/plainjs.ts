// Hand-written plain JavaScript references: what a careful programmer writes without a compiler.
// A 4×4 register-tiled matmul and an MLP forward pass using it, on preallocated Float32Arrays.

/** C[M×N] = A[M×K] · B[K×N], row-major, 4×4 register tiles with scalar edges. */
export const matmul = (A: Float32Array, B: Float32Array, C: Float32Array, M: number, K: number, N: number): void => {
  const M4 = M - (M % 4),
    N4 = N - (N % 4);
  for (let i = 0; i < M4; i += 4) {
    for (let j = 0; j < N4; j += 4) {
      let c00 = 0,
        c01 = 0,
        c02 = 0,
        c03 = 0,
        c10 = 0,
        c11 = 0,
        c12 = 0,
        c13 = 0;
      let c20 = 0,
        c21 = 0,
        c22 = 0,
        c23 = 0,
        c30 = 0,
        c31 = 0,
        c32 = 0,
        c33 = 0;
      for (let k = 0; k < K; k++) {
        const a0 = A[i * K + k]!,
          a1 = A[(i + 1) * K + k]!,
          a2 = A[(i + 2) * K + k]!,
          a3 = A[(i + 3) * K + k]!;
        const b = k * N + j;
        const b0 = B[b]!,
          b1 = B[b + 1]!,
          b2 = B[b + 2]!,
          b3 = B[b + 3]!;
        c00 += a0 * b0;
        c01 += a0 * b1;
        c02 += a0 * b2;
        c03 += a0 * b3;
        c10 += a1 * b0;
        c11 += a1 * b1;
        c12 += a1 * b2;
        c13 += a1 * b3;
        c20 += a2 * b0;
        c21 += a2 * b1;
        c22 += a2 * b2;
        c23 += a2 * b3;
        c30 += a3 * b0;
        c31 += a3 * b1;
        c32 += a3 * b2;
        c33 += a3 * b3;
      }
      C[i * N + j] = c00;
      C[i * N + j + 1] = c01;
      C[i * N + j + 2] = c02;
      C[i * N + j + 3] = c03;
      C[(i + 1) * N + j] = c10;
      C[(i + 1) * N + j + 1] = c11;
      C[(i + 1) * N + j + 2] = c12;
      C[(i + 1) * N + j + 3] = c13;
      C[(i + 2) * N + j] = c20;
      C[(i + 2) * N + j + 1] = c21;
      C[(i + 2) * N + j + 2] = c22;
      C[(i + 2) * N + j + 3] = c23;
      C[(i + 3) * N + j] = c30;
      C[(i + 3) * N + j + 1] = c31;
      C[(i + 3) * N + j + 2] = c32;
      C[(i + 3) * N + j + 3] = c33;
    }
  }
  for (let i = 0; i < M; i++) {
    for (let j = i < M4 ? N4 : 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += A[i * K + k]! * B[k * N + j]!;
      C[i * N + j] = s;
    }
  }
};

/** relu(relu(x·W1 + b1)·W2 + b2)·W3 + b3 with preallocated activations. */
export const mlpForward = (layers: { W: Float32Array; b: Float32Array; n: number; k: number }[], batch: number) => {
  const acts = layers.map((l) => new Float32Array(batch * l.n));
  return (x: Float32Array): Float32Array => {
    let h = x;
    layers.forEach((l, li) => {
      const out = acts[li]!;
      matmul(h, l.W, out, batch, l.k, l.n);
      const last = li === layers.length - 1;
      for (let i = 0; i < batch; i++)
        for (let j = 0; j < l.n; j++) {
          const v = out[i * l.n + j]! + l.b[j]!;
          out[i * l.n + j] = last || v > 0 ? v : 0;
        }
      h = out;
    });
    return h;
  };
};
