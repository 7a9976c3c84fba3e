// Packages editors/vscode as a .vsix with vsce (the VS Code extension packager), in a scratch copy so
// the repository gets no node_modules there: installs the extension's pinned dependency and a pinned
// vsce, runs `vsce package`, and checks that the archive holds the grammar, the client and its
// language client. Run by .ci/run (and `npm run package:vscode`); exits non-zero on any failure.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const VSCE = '@vscode/vsce@3.6.2';
const src = new URL('../editors/vscode/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'dlm-vsce-'));
const run = (cmd, args) => execFileSync(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', timeout: 600_000 });
try {
  cpSync(src, dir, { recursive: true });
  run('npm', ['install', '--no-audit', '--no-fund', '--omit=dev']);
  const out = join(dir, 'dlm.vsix');
  // vsce runs from npx's cache so it is not packaged with the extension's own dependencies
  run('npx', ['--yes', VSCE, 'package', '--allow-missing-repository', '--skip-license', '-o', out]);
  const listing = run('npx', ['--yes', VSCE, 'ls']);
  for (const f of ['extension.js', 'syntaxes/dlm.tmLanguage.json', 'language-configuration.json', 'node_modules/vscode-languageclient/package.json']) {
    if (!listing.split('\n').some((l) => l.trim() === f)) throw new Error(`the packaged extension lacks ${f}`);
  }
  console.log(`editors/vscode packages: ${(statSync(out).size / 1024).toFixed(0)} KiB .vsix (${VSCE})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
