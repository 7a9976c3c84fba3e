// A scratch directory for tests that write files, and bundles for child processes: on tmpfs (/dev/shm) when the machine has one, since
// the atomic writer fsyncs every file and an fsync on a busy disk can take a second.
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

export const scratchDir = (prefix: string): string => mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), prefix));

/**
 * `entry` bundled for a child `node` process (ESM, Node 20, npm packages left external) into scratch/,
 * beside dist/ rather than in it: dist/ is what `npm pack` ships (tests/embed/consumer.test.ts bounds its
 * size). `footer`: JavaScript appended, e.g. the call that runs the bundle's main. Returns its path.
 */
export const bundleForChild = async (entry: string, name: string, footer?: string): Promise<string> => {
  const outfile = resolve('scratch', name);
  mkdirSync('scratch', { recursive: true });
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
    ...(footer ? { footer: { js: footer } } : {}),
  });
  return outfile;
};
