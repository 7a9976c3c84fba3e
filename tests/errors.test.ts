// One test per diagnostic code: each tests/errors/*.dlm file states the code and line:col it must give
// in its first line (`// error: E0201 at 5:11`). Wording is not asserted here (see cli.test.ts).
import * as E from 'fp-ts/lib/Either.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { compileFile } from '../compiler/index.js';
import { lineCol } from '../compiler/diagnostics/span.js';
import { CODES } from '../compiler/diagnostics/codes.js';
import { Trainer } from '../compiler/api/trainer.js';
import { RunError } from '../compiler/api/errors.js';
import { DiagnosticError } from '../compiler/diagnostics/diagnostic.js';

const dir = resolve('tests/errors');
const files = readdirSync(dir).filter((f) => f.endsWith('.dlm'));

const diagnosticsOf = (path: string) => {
  const r = compileFile(path);
  if (E.isLeft(r)) return r.left;
  // Some errors only show when the model is used (an unknown optimizer when training starts).
  try {
    new Trainer(r.right.model());
  } catch (e) {
    if (e instanceof RunError || e instanceof DiagnosticError) return e.diagnostics;
    throw e;
  }
  return [];
};

describe('error files', () => {
  test.each(files)('%s', (f) => {
    const path = join(dir, f);
    const text = readFileSync(path, 'utf8');
    const m = /^\/\/ error: (E\d{4}) at (\d+):(\d+)/.exec(text)!;
    expect(m, 'header').not.toBeNull();
    const ds = diagnosticsOf(path);
    const hit = ds.find((d) => d.code === m[1]);
    expect(hit, `expected ${m[1]}, got ${ds.map((d) => `${d.code} ${d.message}`).join('; ')}`).toBeDefined();
    const { line, col } = lineCol({ path, text }, hit!.span!.start);
    expect(`${line}:${col}`).toBe(`${m[2]}:${m[3]}`);
  });

  // Codes that no single source file can show, and the tests that assert them.
  const ASSERTED_ELSEWHERE: readonly [string, string][] = [
    ['E0002', 'internal errors (no user input should reach one)'],
    ['E0107', 'tests/modules.test.ts'],
    ['E0307', 'a grad rule disagreeing with finite differences, from `dlm gradcheck`: tests/customGrad.test.ts'],
    ['E0312', 'forward mode through an op marked unsupported (none today), from Model.jvp: tests/jvpOps.test.ts'],
    ['E04', 'run-time errors: tests/train.test.ts, tests/guard.test.ts'],
    ['E0602', 'a chain of 65 imports: tests/untrusted.test.ts'],
    ['E0606', "the machine's memory: tests/untrusted.test.ts"],
    ['E07', 'data files: tests/data/'],
    ['E08', '`dlm export`: tests/export_*.test.ts'],
    ['E09', 'backends: tests/native.test.ts'],
  ];
  test('every error code except run-time ones has an error file', () => {
    const covered = new Set(files.map((f) => /^\/\/ error: (E\d{4})/.exec(readFileSync(join(dir, f), 'utf8'))![1]));
    const missing = Object.keys(CODES).filter((c) => !ASSERTED_ELSEWHERE.some(([prefix]) => c.startsWith(prefix)) && !covered.has(c));
    expect(missing).toEqual([]);
  });
});
