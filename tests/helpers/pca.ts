// PCA as a baseline for autoencoders: the top-k principal directions of the training images by subspace
// (block power) iteration on the covariance, and the mean squared reconstruction error on held-out data.
import type { Dataset } from '../../runtime/data/dataset.js';

export const pcaReconstructionMse = (train: Dataset, held: Dataset, k: number, iterations = 30): number => {
  const d = train.x.length / train.count,
    n = train.count;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += train.x[i * d + j]! / n;
  // covariance C = XᵀX/n of the centred data (d × d)
  const X = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) X[i * d + j] = train.x[i * d + j]! - mean[j]!;
  const C = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    const row = i * d;
    for (let a = 0; a < d; a++) {
      const xa = X[row + a]!;
      if (xa === 0) continue;
      for (let b = a; b < d; b++) C[a * d + b]! += xa * X[row + b]!;
    }
  }
  for (let a = 0; a < d; a++)
    for (let b = a; b < d; b++) {
      C[a * d + b]! /= n;
      C[b * d + a] = C[a * d + b]!;
    }
  // V (d × k) ← orthonormalize(C·V), repeated
  let V = Float64Array.from({ length: d * k }, (_, i) => (Math.sin(i * 12.9898) * 43758.5453) % 1);
  for (let it = 0; it < iterations; it++) {
    const W = new Float64Array(d * k);
    for (let a = 0; a < d; a++)
      for (let c = 0; c < d; c++) {
        const cac = C[a * d + c]!;
        if (cac === 0) continue;
        for (let j = 0; j < k; j++) W[a * k + j]! += cac * V[c * k + j]!;
      }
    for (let j = 0; j < k; j++) {
      for (let p = 0; p < j; p++) {
        let dot = 0;
        for (let a = 0; a < d; a++) dot += W[a * k + j]! * W[a * k + p]!;
        for (let a = 0; a < d; a++) W[a * k + j]! -= dot * W[a * k + p]!;
      }
      let norm = 0;
      for (let a = 0; a < d; a++) norm += W[a * k + j]! ** 2;
      norm = Math.sqrt(norm) || 1;
      for (let a = 0; a < d; a++) W[a * k + j]! /= norm;
    }
    V = W;
  }
  // reconstruct held-out: x̂ = μ + V Vᵀ (x − μ)
  let err = 0;
  const z = new Float64Array(k);
  for (let i = 0; i < held.count; i++) {
    z.fill(0);
    for (let a = 0; a < d; a++) {
      const xa = held.x[i * d + a]! - mean[a]!;
      for (let j = 0; j < k; j++) z[j]! += xa * V[a * k + j]!;
    }
    for (let a = 0; a < d; a++) {
      let r = mean[a]!;
      for (let j = 0; j < k; j++) r += V[a * k + j]! * z[j]!;
      err += (r - held.x[i * d + a]!) ** 2;
    }
  }
  return err / (held.count * d);
};
