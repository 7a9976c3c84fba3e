// The training-curves SVG: small multiples sharing the epoch axis, with ticks on both axes, and loss
// terms (KL, reconstruction) on their own axis rather than flattened against the loss.
import { writeFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { EpochReport } from '../compiler/api/fit.js';
import { curvesSvg, epochTicks, niceTicks } from '../compiler/cli/curves.js';

const report = (i: number): EpochReport =>
  ({
    epoch: i,
    trainLoss: 90 / i,
    valLoss: 95 / i,
    trainAccuracy: 0.5 + i / 50,
    valAccuracy: 0.5 + i / 60,
    terms: { kl: 0.02 * i, recon: 80 / i },
  }) as unknown as EpochReport;

describe('training curves', () => {
  test('ticks are round numbers covering the range, epochs labelled every epoch up to 10', () => {
    expect(niceTicks(0.13, 0.92)).toEqual([0.2, 0.4, 0.6, 0.8]);
    expect(niceTicks(0, 100)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(epochTicks(4)).toEqual([1, 2, 3, 4]);
    expect(epochTicks(50)).toEqual([1, 10, 20, 30, 40, 50]);
  });

  test('each loss term gets its own panel and axis; every panel has x ticks at epochs', () => {
    const svg = curvesSvg(
      'VAE',
      Array.from({ length: 12 }, (_, i) => report(i + 1)),
    );
    if (process.env['DLM_WRITE_CURVES']) writeFileSync(process.env['DLM_WRITE_CURVES'], svg);
    const titles = [...svg.matchAll(/font-size="13">([^<]+)</g)].map((m) => m[1]);
    expect(titles).toEqual(['loss', 'accuracy', 'term: kl', 'term: recon']);
    const panels = svg.split('<g transform=');
    expect(panels).toHaveLength(5);
    for (const p of panels.slice(1)) {
      expect(p).toContain('>epoch<');
      expect([...p.matchAll(/text-anchor="middle" font-size="10" fill="#555">(\d+)</g)].map((m) => Number(m[1]))).toEqual([1, 2, 4, 6, 8, 10, 12]);
    }
    // the KL term (0.02 … 0.24) has an axis of its own, with small ticks
    expect(panels[3]).toContain('>kl<');
    expect(panels[3]).toMatch(/>0\.05</);
    expect(panels[1]).not.toContain('>kl<');
  });

  test('no completed epoch gives a message, not an empty picture', () => {
    expect(curvesSvg('M', [])).toContain('no completed epoch yet');
  });
});
