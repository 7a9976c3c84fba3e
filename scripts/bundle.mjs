// esbuild plugins shared by scripts/build.mjs and the browser tests:
//  - stdlibPlugin: compiler/stdlibText.ts (which reads stdlib/*.dlm with fs when run from source) becomes
//    a module holding the texts themselves, so no bundle looks the stdlib up on disk;
//  - browserPlugin: for the browser bundles, every `node:*` module dlm imports becomes a small module of
//    ours with the same named exports: path and url helpers in plain JavaScript, and file, zlib and
//    crypto functions that throw "not available in a browser" when called (never at import time).
//    A browser application that bundles dlm therefore needs no shims and gets no Node built-ins.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

export const stdlibTexts = () =>
  Object.fromEntries(
    readdirSync(join(ROOT, 'stdlib'))
      .filter((f) => f.endsWith('.dlm'))
      .sort()
      .map((f) => [f.slice(0, -4), readFileSync(join(ROOT, 'stdlib', f), 'utf8')]),
  );

export const stdlibPlugin = () => ({
  name: 'dlm-stdlib',
  setup(build) {
    build.onLoad({ filter: /[\\/]compiler[\\/]stdlibText\.ts$/ }, () => ({
      loader: 'js',
      contents:
        `// The standard library's sources, embedded when dlm was built.\nconst TEXTS = new Map(Object.entries(${JSON.stringify(stdlibTexts())}));\n` +
        'export const stdlibText = (name) => TEXTS.get(name);\nexport const stdlibModuleNames = () => [...TEXTS.keys()];\n' +
        STDLIB_PATH_JS,
    }));
  },
});

// For editors (go to definition): the package's stdlib/ directory, found above the bundle.
const STDLIB_PATH_JS = `import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
export const stdlibPath = (name) => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 4; up++, dir = dirname(dir)) { const p = join(dir, 'stdlib', name + '.dlm'); if (existsSync(p)) return p; }
  return join('stdlib', name + '.dlm');
};
`;

/** Named imports from `node:*` modules anywhere in compiler/ and runtime/: module → names. */
const nodeImports = () => {
  const found = new Map();
  const walk = (dir) => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) {
        walk(p);
        continue;
      }
      if (!f.endsWith('.ts')) continue;
      const text = readFileSync(p, 'utf8');
      const add = (mod, name) => {
        const names = found.get(mod) ?? new Set();
        names.add(name);
        found.set(mod, names);
      };
      for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'node:([a-z_/]+)'/g)) {
        for (const part of m[1].split(',')) {
          const name = part
            .trim()
            .replace(/^type\s+/, '')
            .split(/\s+as\s+/)[0];
          if (name) add(m[2], name);
        }
      }
      // `import * as fs from 'node:fs'`: the members the file uses (fs.openSync(…)).
      for (const m of text.matchAll(/import\s*\*\s*as\s+(\w+)\s+from\s*'node:([a-z_/]+)'/g)) {
        for (const u of text.matchAll(new RegExp(`\\b${m[1]}\\.([A-Za-z_]\\w*)\\b`, 'g'))) add(m[2], u[1]);
      }
    }
  };
  walk(join(ROOT, 'compiler'));
  walk(join(ROOT, 'runtime'));
  return found;
};

// Plain-JavaScript versions of the path and url helpers dlm uses (POSIX semantics, '/' as the root).
const PATH_JS = `
const norm = (p) => {
  const out = [];
  for (const s of p.split('/')) { if (s === '..') out.pop(); else if (s && s !== '.') out.push(s); }
  return '/' + out.join('/');
};
export const resolve = (...ps) => { let p = ''; for (const q of ps) p = q.startsWith('/') ? q : p + '/' + q; return norm(p); };
export const join = (...ps) => norm(ps.join('/'));
export const dirname = (p) => { const i = p.replace(/\\/+$/, '').lastIndexOf('/'); return i <= 0 ? (p.startsWith('/') ? '/' : '.') : p.slice(0, i); };
export const basename = (p, ext) => { const b = p.replace(/\\/+$/, '').split('/').pop() ?? ''; return ext && b.endsWith(ext) ? b.slice(0, -ext.length) : b; };
export const extname = (p) => { const b = basename(p); const i = b.lastIndexOf('.'); return i <= 0 ? '' : b.slice(i); };
export const sep = '/';
export const fileURLToPath = (u) => decodeURIComponent(new URL(String(u)).pathname);
export const pathToFileURL = (p) => new URL('file://' + encodeURI(p));
`;

export const browserPlugin = () => ({
  name: 'dlm-browser',
  setup(build) {
    build.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path.slice(5), namespace: 'dlm-node-stub' }));
    build.onLoad({ filter: /.*/, namespace: 'dlm-node-stub' }, (args) => {
      const names = [...(nodeImports().get(args.path) ?? [])];
      const lines = [
        `const unavailable = (name) => () => {
  const e = new Error('dlm: ${args.path}.' + name + ' is not available in a browser');
  e.code = 'ERR_DLM_BROWSER';
  throw e;
};`,
      ];
      const provided = new Set();
      if (args.path === 'path' || args.path === 'url') {
        lines.push(PATH_JS);
        for (const m of PATH_JS.matchAll(/export const (\w+)/g)) provided.add(m[1]);
      }
      for (const n of names) {
        if (provided.has(n)) continue;
        // createRequire(...) is called at import time by some loaders; the require it returns throws when used.
        if (n === 'createRequire') lines.push(`export const createRequire = () => unavailable('require');`);
        else lines.push(`export const ${n} = unavailable(${JSON.stringify(n)});`);
      }
      return { loader: 'js', contents: lines.join('\n') };
    });
  },
});
