// README's op table and built-ins list are the registry's: every primitive with what it computes, the
// special values it documents and where PyTorch differs (and why); the README's list of primitives
// callable by name is exactly the registry's public ops. Both are generated: a new op needs no README
// edit by hand, `DLM_WRITE_DOCS=1 npx vitest run tests/opsdoc.test.ts` rewrites them (otherwise a
// mismatch fails and prints what they should be).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { writeAtomic } from '../compiler/cli/io.js';
import { OPS } from '../compiler/ops/registry.js';
import { BUILTINS } from '../compiler/check/builtins.js';
import { opTable } from './helpers/opsDoc.js';

const README_PATH = fileURLToPath(new URL('../README.md', import.meta.url));
let README = readFileSync(README_PATH, 'utf8');
const WRITE = process.env['DLM_WRITE_DOCS'] === '1';

const between = (text: string, begin: string, end: string): string => {
  const i = text.indexOf(begin),
    j = text.indexOf(end, i);
  return i < 0 || j < i ? '' : text.slice(i + begin.length, j).trim();
};

/** README's generated part between two markers is `want`, or (DLM_WRITE_DOCS=1) becomes it. */
const generated = (begin: string, end: string, want: string, sep: string): void => {
  const have = between(README, begin, end);
  if (have !== want && WRITE) {
    const i = README.indexOf(begin) + begin.length,
      j = README.indexOf(end, i);
    README = `${README.slice(0, i)}${sep}${want}${sep}${README.slice(j)}`;
    writeAtomic(README_PATH, README);
    return;
  }
  if (have !== want) console.log(`README between ${begin} and ${end} should be (or run DLM_WRITE_DOCS=1 npx vitest run tests/opsdoc.test.ts):\n${want}`);
  expect(have).toBe(want);
};

const words = (t: string) => [...t.matchAll(/`([^`]+)`/g)].flatMap((m) => m[1]!.split(/[\s(),=]+/)).filter((w) => /^[A-Za-z_]/.test(w));

/** The public primitives called by name (those written as operators are listed beside their operators), wrapped. */
const primitiveList = (): string => {
  const operators = new Set(words(between(README, '<!-- end of primitives -->', 'with compile-time arguments')));
  const lines: string[] = [];
  for (const name of Object.values(OPS)
    .filter((op) => !op.internal && !operators.has(op.name))
    .map((op) => op.name)) {
    if (lines.length && `${lines[lines.length - 1]} ${name}`.length <= 100) lines[lines.length - 1] += ` ${name}`;
    else lines.push(name);
  }
  return `\`${lines.join('\n')}\``;
};

describe('README', () => {
  test('the op table is generated from the registry (every op, its conventions and PyTorch’s)', () => {
    generated('<!-- op table: generated from the registry by tests/opsdoc.test.ts -->', '<!-- end of op table -->', opTable(), '\n');
  });
  test('the built-ins list names exactly the public primitives of the registry, and every built-in', () => {
    generated('<!-- primitives: generated from the registry by tests/opsdoc.test.ts -->', '<!-- end of primitives -->', primitiveList(), '');
    const listed = words(between(README, '**Built-ins.** Primitives:', 'with compile-time arguments')).sort();
    const registry = Object.values(OPS)
      .filter((op) => !op.internal)
      .map((op) => op.name)
      .sort();
    expect(listed).toEqual(registry);
    const paragraph = new Set(words(between(README, '**Built-ins.**', 'Reserved words:')));
    expect(Object.keys(BUILTINS).filter((b) => !paragraph.has(b))).toEqual([]);
  });
});
