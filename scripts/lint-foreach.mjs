// One-off codemod kept for branches that land after the lint commit: `xs.forEach((x) => f(x))` → `xs.forEach((x) => { f(x); })`.
// Biome's useIterableCallbackReturn refuses forEach callbacks whose expression body yields a value (it is ignored).
import fs from 'node:fs';
import ts from 'typescript';

const rewrite = (file) => {
  const text = fs.readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS);
  const edits = [];
  const visit = (n) => {
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'forEach') {
      const f = n.arguments[0];
      if (f && ts.isArrowFunction(f) && !ts.isBlock(f.body)) {
        const b = f.body;
        const inner = ts.isParenthesizedExpression(b) ? b.expression : b;
        if (!ts.isVoidExpression(inner)) {
          edits.push([b.getStart(sf), b.getEnd(), `{ ${text.slice(inner.getStart(sf), inner.getEnd())}; }`]);
          return; // a nested forEach inside is rewritten on the next round
        }
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  if (!edits.length) return 0;
  edits.sort((a, b) => b[0] - a[0]);
  let out = text;
  for (const [s, e, r] of edits) out = out.slice(0, s) + r + out.slice(e);
  fs.writeFileSync(file, out);
  return edits.length;
};

for (const file of process.argv.slice(2)) {
  let total = 0;
  for (let n = rewrite(file); n > 0; n = rewrite(file)) total += n;
  if (total) console.log(`${file}: ${total}`);
}
