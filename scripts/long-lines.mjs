// Part of `npm run lint`: no line of code over 160 characters. The formatter wraps code at 160 but
// cannot split a comment (scripts/split-long-strings.mjs splits strings); this finds what is left. Markdown,
// generated files and the adversarial inputs under tests/errors/ (a 300-deep nesting is the point) are exempt.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const LIMIT = 160;
const files = execFileSync('git', ['ls-files', '*.ts', '*.mjs', '*.js', '*.dlm', '*.py'], { encoding: 'utf8' })
  .split('\n')
  .filter((f) => f !== '' && !f.includes('.ohm-bundle.') && !f.startsWith('tests/errors/'));
let count = 0;
for (const f of files) {
  readFileSync(f, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if ([...line].length <= LIMIT) return;
      count++;
      console.log(`${f}:${i + 1}: ${[...line].length} characters`);
    });
}
if (count) {
  console.log(`${count} lines over ${LIMIT} characters`);
  process.exit(1);
}
