// `npm run bench -- …`'s flags: `--only backends` (the backends section and its own JSON file), `--only
// native` (that section for the native backend alone beside PyTorch), `--only scaling` (the scaling
// curves alone); `--rows k1,k2` restricts the backends section to those workloads (keys in
// bench/backends.ts, `compile` for the compile-time rows); `--no-torch` leaves PyTorch out.
import type { BackendOptions } from './backendsReport.js';

export type BenchRun =
  | { readonly section: 'all' }
  | { readonly section: 'backends'; readonly opts: BackendOptions }
  | { readonly section: 'scaling'; readonly opts: { readonly torch: boolean } };

export const BENCH_USAGE = 'usage: npm run bench [-- --only backends|native|scaling] [--rows k1,k2] [--no-torch]';

/** The run the arguments ask for, or what is wrong with them (`--flag=value` and `--flag value` alike). */
export const benchFlags = (argv: readonly string[]): BenchRun | { readonly error: string } => {
  const args = argv.flatMap((a) => (a.startsWith('--') && a.includes('=') ? a.split('=', 2) : [a]));
  const values = new Map<string, string>();
  let torch = true;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--no-torch') torch = false;
    else if (a === '--only' || a === '--rows') {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) return { error: `${a} needs a value` };
      values.set(a, v);
    } else return { error: `unknown argument ${JSON.stringify(a)}` };
  }
  const which = values.get('--only'),
    rows = values.get('--rows');
  if (which === undefined) return rows !== undefined || !torch ? { error: '--rows and --no-torch go with --only' } : { section: 'all' };
  if (which === 'scaling') return rows !== undefined ? { error: '--rows goes with --only backends or native' } : { section: 'scaling', opts: { torch } };
  if (which !== 'backends' && which !== 'native') return { error: `--only takes backends, native or scaling, not ${JSON.stringify(which)}` };
  const keys = rows?.split(',').filter(Boolean);
  return { section: 'backends', opts: { ...(which === 'native' ? { backends: ['native'] as const } : {}), ...(keys ? { keys } : {}), torch } };
};
