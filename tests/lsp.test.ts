// `dlm lsp` spoken to as an editor does: JSON-RPC over stdio with Content-Length framing. initialize,
// didOpen of a file with a shape error (published diagnostics), hover over expressions (inferred types
// with symbolic dims, one line per instantiation of a generic function), go to definition (a layer
// instance, into the standard library), completion (module members, keyword arguments) and symbols.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type {
  CompletionItem,
  CompletionList,
  DocumentSymbol,
  Hover,
  InitializeResult,
  Location,
  MarkupContent,
  PublishDiagnosticsParams,
} from 'vscode-languageserver';

interface Message {
  id?: number;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: unknown;
}

class Client {
  private buf = Buffer.alloc(0);
  private nextId = 1;
  private readonly waiting = new Map<number, (m: Message) => void>();
  readonly notes: Message[] = [];
  private readonly noteWaiters: { method: string; resolve: (m: Message) => void }[] = [];

  constructor(readonly proc: ChildProcessWithoutNullStreams) {
    proc.stdout.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.drain();
    });
  }

  private drain(): void {
    for (;;) {
      const head = this.buf.indexOf('\r\n\r\n');
      if (head < 0) return;
      const len = Number(/Content-Length: (\d+)/i.exec(this.buf.subarray(0, head).toString())![1]);
      if (this.buf.length < head + 4 + len) return;
      const m = JSON.parse(this.buf.subarray(head + 4, head + 4 + len).toString()) as Message;
      this.buf = this.buf.subarray(head + 4 + len);
      if (m.id !== undefined && !m.method) this.waiting.get(m.id)?.(m);
      else if (m.method) {
        this.notes.push(m);
        const w = this.noteWaiters.findIndex((x) => x.method === m.method);
        if (w >= 0) this.noteWaiters.splice(w, 1)[0]!.resolve(m);
      }
    }
  }

  private send(m: object): void {
    const body = JSON.stringify({ jsonrpc: '2.0', ...m });
    this.proc.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }

  /** The result of a request, typed by the caller after the LSP specification's result type for `method`. */
  request<T>(method: string, params: object): Promise<T> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, (m) => resolve(m.result as T));
      this.send({ id, method, params });
    });
  }

  notify(method: string, params: object): void {
    this.send({ method, params });
  }

  nextNotification(method: string): Promise<Message> {
    return new Promise((resolve) => this.noteWaiters.push({ method, resolve }));
  }
}

const dir = mkdtempSync(join(tmpdir(), 'dlm-lsp-'));
const file = join(dir, 'digits.dlm');
const uri = pathToFileURL(file).href;
const text = `import nn

fn double(z) = z + z

model Digits {
  input  x: f32[B, 784]
  target y: i32[B]
  layer l1 = nn.Dense(784, 16)
  let h = sigmoid(l1(x))
  let wide = double(h)
  let thin = double(x[:, 0:10])
  output logits = nn.Dense(16, 10)(h)
  loss nn.cross_entropy(thin, y)
}
`;
writeFileSync(file, text);
const at = (needle: string, delta = 0) => {
  const i = text.indexOf(needle) + delta;
  const before = text.slice(0, i).split('\n');
  return { line: before.length - 1, character: before[before.length - 1]!.length };
};

let client: Client;
beforeAll(async () => {
  client = new Client(spawn(process.execPath, ['bin/dlm.js', 'lsp'], { stdio: 'pipe' }));
  const init = await client.request<InitializeResult>('initialize', { processId: null, rootUri: pathToFileURL(dir).href, capabilities: {} });
  expect(init.capabilities.hoverProvider).toBe(true);
  client.notify('initialized', {});
});
afterAll(() => client.proc.kill());

describe('dlm lsp', () => {
  test('didOpen of a file with a mistake publishes located diagnostics', async () => {
    const published = client.nextNotification('textDocument/publishDiagnostics');
    client.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'dlm', version: 1, text } });
    const d = (await published).params as PublishDiagnosticsParams;
    expect(d.uri).toBe(uri);
    const e = d.diagnostics.find((x) => x.code === 'E0105');
    expect(e?.message).toContain('instantiated');
    expect(e?.range.start).toEqual(at('nn.Dense(16, 10)(h)'));
  });

  test('hover shows the inferred type and shape, symbolic dims included', async () => {
    const h = await client.request<Hover>('textDocument/hover', { textDocument: { uri }, position: at('sigmoid(l1(x))', 1) });
    expect((h.contents as MarkupContent).value).toContain('f32[B, 16]');
    const x = await client.request<Hover>('textDocument/hover', { textDocument: { uri }, position: at('l1(x))', 3) });
    expect((x.contents as MarkupContent).value).toContain('f32[B, 784]');
  });

  test('a generic function body shows one type per instantiation', async () => {
    const h = await client.request<Hover>('textDocument/hover', { textDocument: { uri }, position: at('z + z', 2) });
    expect((h.contents as MarkupContent).value).toContain('2 instantiations');
    expect((h.contents as MarkupContent).value).toContain('f32[B, 16]');
    expect((h.contents as MarkupContent).value).toContain('f32[B, 10]');
  });

  test('go to definition: a layer instance, and a stdlib layer', async () => {
    const local = await client.request<Location>('textDocument/definition', { textDocument: { uri }, position: at('l1(x))', 0) });
    expect(local.uri).toBe(uri);
    expect(local.range.start).toEqual(at('l1 = nn.Dense'));
    const lib = await client.request<Location>('textDocument/definition', { textDocument: { uri }, position: at('Dense(784', 1) });
    expect(lib.uri).toMatch(/stdlib\/nn\.dlm$/);
  });

  test('completion: members after a module name, keyword arguments inside a call', async () => {
    const line = '  let extra = nn.';
    const edited = text.replace('  output logits', `${line}\n  output logits`);
    client.notify('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: edited }] });
    const lines = edited.split('\n');
    const row = lines.indexOf(line);
    const members = await client.request<CompletionItem[] | CompletionList>('textDocument/completion', {
      textDocument: { uri },
      position: { line: row, character: line.length },
    });
    const labels = (Array.isArray(members) ? members : members.items).map((c) => c.label);
    expect(labels).toContain('Dense');
    expect(labels).toContain('cross_entropy');
    // first the function is written (the file checks), then the call is being typed (it does not parse)
    const defined = text.replace('fn double', 'fn f(x, alpha = 1) = x\nfn double');
    client.notify('textDocument/didChange', { textDocument: { uri, version: 3 }, contentChanges: [{ text: defined }] });
    const kw = defined.replace('let wide = double(h)', 'let wide = f(h, ');
    client.notify('textDocument/didChange', { textDocument: { uri, version: 4 }, contentChanges: [{ text: kw }] });
    const kwRows = kw.split('\n');
    const r = kwRows.findIndex((l) => l.includes('f(h, '));
    const args = await client.request<CompletionItem[] | CompletionList>('textDocument/completion', {
      textDocument: { uri },
      position: { line: r, character: kwRows[r]!.indexOf('f(h, ') + 5 },
    });
    expect((Array.isArray(args) ? args : args.items).map((c) => c.label)).toContain('alpha = ');
  });

  test('document symbols list the model and its members', async () => {
    client.notify('textDocument/didChange', { textDocument: { uri, version: 5 }, contentChanges: [{ text }] });
    const syms = await client.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri } });
    const model = syms.find((s) => s.name === 'Digits');
    expect(model?.children?.map((c) => c.name)).toEqual(expect.arrayContaining(['x', 'y', 'l1', 'h', 'logits']));
    expect(syms.map((s) => s.name)).toContain('double');
  });
});
