// The wasm threads in headless Chromium (runtime/wasm/threads*.ts): on a cross-origin-isolated page (COOP
// and COEP headers) a Blob-URL Worker shares the memory and runs units of a job, the main thread spinning
// (it may not block); without isolation there is no SharedArrayBuffer, so programs run on one thread and
// the one note says why. Skipped, with the reason printed, when no Chromium is installed.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { expect, test } from 'vitest';

const CHROMIUM = process.env['DLM_CHROMIUM'] ?? '/usr/bin/chromium';
const haveBrowser = existsSync(CHROMIUM);
if (!haveBrowser) console.warn(`tests/wasmThreadsBrowser: skipped, no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set DLM_CHROMIUM)`);

test.skipIf(!haveBrowser)(
  'Chromium: a worker runs units over the shared memory when isolated; one thread and the note when not',
  async () => {
    const entry = resolve(import.meta.dirname, 'browser/threadsPage.ts');
    const js = (await build({ entryPoints: [entry], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'error' })).outputFiles[0]!.text;
    const { chromium } = await import('playwright-core');
    const profile = mkdtempSync(join(tmpdir(), 'dlm-threads-browser-'));
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const results: Record<string, { r: Record<string, unknown>; logs: string[] }> = {};
      for (const isolated of [true, false]) {
        const headers: Record<string, string> = isolated ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } : {};
        const server = createServer((req, res) => {
          if (req.url === '/p.js') res.writeHead(200, { 'content-type': 'text/javascript', ...headers }).end(js);
          else res.writeHead(200, { 'content-type': 'text/html', ...headers }).end('<!doctype html><script type="module" src="/p.js"></script>');
        });
        await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
        try {
          const page = await context.newPage();
          const logs: string[] = [];
          page.on('console', (m) => logs.push(m.text()));
          page.on('pageerror', (e) => logs.push(`error: ${e.message}`));
          await page.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
          await page.waitForFunction("document.title === 'ready'", undefined, { timeout: 30_000 });
          const r = (await page.evaluate('globalThis.go()')) as Record<string, unknown>;
          results[String(isolated)] = { r, logs };
          await page.close();
        } finally {
          server.close();
        }
      }
      const on = results['true']!,
        off = results['false']!;
      expect(on.r).toMatchObject({ threaded: true, ok: true, isolated: true });
      const s = on.r['stats'] as { units: number; mine: number };
      expect(s.units).toBeGreaterThan(s.mine);
      expect(on.logs).toEqual([]);
      expect(off.r).toMatchObject({ threaded: false, isolated: false });
      expect(off.logs.join('\n')).toMatch(/wasm threads: running on one thread, since SharedArrayBuffer is unavailable/);
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  },
  60_000,
);
