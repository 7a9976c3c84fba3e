// The VS Code extension's TextMate grammar (editors/vscode/syntaxes/dlm.tmLanguage.json), loaded with
// vscode-textmate and the Oniguruma regex engine as VS Code loads it: every example and stdlib file
// tokenizes to the end, and the tokens mean what they should (keywords, types, numbers, comments).
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import * as oniguruma from 'vscode-oniguruma';
import * as textmate from 'vscode-textmate';

const require = createRequire(import.meta.url);

const loadGrammar = async (): Promise<textmate.IGrammar> => {
  const wasm = readFileSync(join(require.resolve('vscode-oniguruma'), '..', 'onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (p: string[]) => new oniguruma.OnigScanner(p),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async () => textmate.parseRawGrammar(readFileSync('editors/vscode/syntaxes/dlm.tmLanguage.json', 'utf8'), 'dlm.tmLanguage.json'),
  });
  const g = await registry.loadGrammar('source.dlm');
  if (!g) throw new Error('grammar did not load');
  return g;
};

const tokenize = (g: textmate.IGrammar, text: string): { text: string; scopes: string[] }[] => {
  let state = textmate.INITIAL;
  const out: { text: string; scopes: string[] }[] = [];
  for (const line of text.split('\n')) {
    const r = g.tokenizeLine(line, state, 1000);
    expect(r.stoppedEarly).toBe(false);
    for (const t of r.tokens) out.push({ text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes });
    state = r.ruleStack;
  }
  return out;
};

describe('the TextMate grammar', () => {
  test('tokenizes every example and stdlib file to the end', async () => {
    const g = await loadGrammar();
    const files = [
      ...readdirSync('examples')
        .filter((f) => f.endsWith('.dlm'))
        .map((f) => join('examples', f)),
      ...readdirSync('stdlib').map((f) => join('stdlib', f)),
    ];
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const toks = tokenize(g, readFileSync(f, 'utf8'));
      expect(toks.map((t) => t.text).join('').length).toBeGreaterThan(0);
    }
  });

  test('scopes: declarations, types, numbers, comments, calls', async () => {
    const g = await loadGrammar();
    const toks = tokenize(g, 'model Digits {\n  input x: f32[B, 784]  // pixels\n  let h = sigmoid(x @ W + 1e-3)\n}');
    const scopeOf = (text: string) => toks.find((t) => t.text === text)?.scopes.at(-1);
    expect(scopeOf('model')).toBe('keyword.declaration.dlm');
    expect(scopeOf('Digits')).toBe('entity.name.type.dlm');
    expect(scopeOf('f32')).toBe('storage.type.dlm');
    expect(scopeOf('784')).toBe('constant.numeric.dlm');
    expect(scopeOf('1e-3')).toBe('constant.numeric.dlm');
    expect(scopeOf('// pixels')).toBe('comment.line.double-slash.dlm');
    expect(scopeOf('sigmoid')).toBe('entity.name.function.call.dlm');
  });
});
