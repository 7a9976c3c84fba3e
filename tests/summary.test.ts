// `dlm summary` per layer, as torchinfo shows it: type, output shape (with --dim), parameters including
// sub-layers, non-trainable state, totals and the forward pass's memory.
import { describe, expect, test } from 'vitest';
import { runCli as run } from './helpers/cli.js';

describe('dlm summary per layer', () => {
  test('layers with their types, output shapes for --dim B=32, params including sub-layers, state and totals', async () => {
    const r = await run('summary', 'examples/resnet_small.dlm', '--dim', 'B=32');
    expect(r.code).toBe(0);
    const line = (start: string) =>
      r.stdout
        .split('\n')
        .find((l) => l.trim().startsWith(start))
        ?.trim()
        .split(/\s{2,}/);
    expect(line('stem (Conv2d)')).toEqual(['stem (Conv2d)', 'f32[32, 8, 14, 14]', '80']);
    expect(line('block1 (ResBlock)')).toEqual(['block1 (ResBlock)', 'f32[32, 8, 14, 14]', '1,200', '32']);
    expect(line('bn1 (BatchNorm2d)')).toEqual(['bn1 (BatchNorm2d)', 'f32[32, 8, 14, 14]', '16', '16']);
    expect(line('fc (Dense)')).toEqual(['fc (Dense)', 'f32[32, 10]', '170']);
    expect(r.stdout).toContain('trainable parameters: 7,322');
    expect(r.stdout).toContain('non-trainable state:  96');
    expect(r.stdout).toMatch(/forward pass for B=32: arena [\d.]+ MiB/);
  });

  test('without --dim the declared symbolic dims are shown', async () => {
    const r = await run('summary', 'examples/mnist_mlp.dlm');
    expect(r.stdout).toMatch(/l1 \(Dense\)\s+f32\[B, 16\]\s+12,560/);
  });
});
