// Builds a native module's shared object with the system C compiler: the module's source and any of the
// kernels' parts not yet in the cache are compiled at once, one compiler process each (the machine's
// cores work on them side by side), then linked. Each part of the kernels is an object cached on its
// own (compiled once per compiler, flags and source); the module's shared object is cached by the
// hash of its source, the compiler, its flags and the kernels' objects. Everything is compiled in a
// private temporary directory, and written into the cache through the one atomic writer, so another
// process sees either no file or the whole object.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../write.js';

/** One compile: its source, its flags, and the cache path of its object (none: only linked). */
export interface Unit {
  readonly source: string;
  readonly flags: readonly string[];
  readonly out?: string;
}

/** Part of every module's cache key: how buildShared links (a change must not reuse objects linked otherwise). */
export const LINK_KEY = 'shared -z nodelete, no crtfastmath';

const SAFE_FLAG = /^[-\w=.+,]+$/;

/**
 * Compiles `units` (each to an object, -c) in parallel, links them with `link` (already-built objects)
 * into `so` with `linkFlags`, and writes every result into the cache. Throws with the compiler's
 * first lines of error output when a step fails.
 */
export const buildShared = (cc: string, units: readonly Unit[], link: readonly string[], so: string, linkFlags: readonly string[]): void => {
  for (const f of [...units.flatMap((u) => u.flags), ...linkFlags]) if (!SAFE_FLAG.test(f)) throw new Error(`bad compiler flag ${f}`);
  const work = mkdtempSync(join(tmpdir(), 'dlm-cc-'));
  try {
    // sh runs the compiles in the background and waits for each; "$1" is the compiler, "$2"… the linked objects
    const lines = ['fail=0'];
    units.forEach((u, i) => {
      writeFileSync(join(work, `u${i}.c`), u.source);
      lines.push(`"$1" ${u.flags.join(' ')} -c u${i}.c -o u${i}.o 2>u${i}.err & p${i}=$!`);
    });
    units.forEach((_, i) => {
      lines.push(`wait $p${i} || fail=1`);
    });
    lines.push('[ $fail = 0 ] || exit 1');
    const objs = [...units.map((_, i) => `u${i}.o`), ...link.map((_, i) => `"$${i + 2}"`)];
    // -z nodelete: the object stays mapped when koffi lets go of it, since the kernels' sleeping pool
    // threads (poolC.ts) would crash on waking in unmapped code
    lines.push(`"$1" ${linkFlags.join(' ')} -shared -Wl,-z,nodelete -o out.so ${objs.join(' ')} -lm 2>link.err || exit 2`);
    try {
      execFileSync('sh', ['-c', lines.join('\n'), 'sh', cc, ...link], { cwd: work, stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 });
    } catch (e) {
      const errs = [...units.map((_, i) => `u${i}.err`), 'link.err']
        .map((f) => join(work, f))
        .filter(existsSync)
        .map((f) => readFileSync(f, 'utf8'))
        .join('');
      const why = (errs || String((e as { stderr?: Buffer }).stderr ?? (e as Error).message)).split('\n').slice(0, 20).join('\n');
      throw new Error(`the C compiler failed on a generated module (a bug in dlm's C printer):\n${why}`);
    }
    units.forEach((u, i) => {
      if (u.out === undefined) return;
      mkdirSync(join(u.out, '..'), { recursive: true });
      writeFileAtomic(u.out, readFileSync(join(work, `u${i}.o`)));
    });
    mkdirSync(join(so, '..'), { recursive: true });
    writeFileAtomic(so, readFileSync(join(work, 'out.so')));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
};
