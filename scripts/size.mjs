// Prints what installing dlm costs: the npm tarball, the package unpacked, and the package plus its
// production dependencies as installed (the numbers kept in the README's Dependencies section).
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const [pack] = JSON.parse(execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
const du = (p) => {
  const s = statSync(p);
  return s.isDirectory() ? readdirSync(p).reduce((a, f) => a + du(join(p, f)), 0) : s.size;
};
const deps = execFileSync(npm, ['ls', '--omit=dev', '--all', '--parseable'], { encoding: 'utf8' }).trim().split('\n').slice(1);
const depBytes = deps.reduce((a, d) => a + du(d), 0);
const mb = (b) => `${(b / 1e6).toFixed(2)} MB`;
console.log(`tarball   ${mb(pack.size)} (${pack.entryCount} files)`);
console.log(`unpacked  ${mb(pack.unpackedSize)}`);
console.log(`installed ${mb(pack.unpackedSize + depBytes)} with ${deps.length} production dependencies (${mb(depBytes)})`);
