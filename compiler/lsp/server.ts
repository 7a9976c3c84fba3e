// `dlm lsp`: a language server over stdio (vscode-languageserver). Diagnostics as you type, hover with
// the inferred type and shape of any expression (symbolic dims included, one line per instantiation of a
// generic function), go to definition across imports and into the standard library, completion of
// names, members and keyword arguments, and document symbols.
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CompletionItemKind,
  createConnection,
  DiagnosticSeverity,
  ProposedFeatures,
  SymbolKind,
  TextDocumentSyncKind,
  type Connection,
} from 'vscode-languageserver/node';
import type { CompletionItem, DocumentSymbol, Hover, Location, Position, Range } from 'vscode-languageserver/node';
import { lineCol, type SourceFile, type Span } from '../diagnostics/span.js';
import { defaultLoader, sourceLookup, stdlibPath } from '../parse/modules.js';
import { fmtType } from '../types/types.js';
import { analyze, exprAt, overlayLoader, refAt, type Analysis, type DocSymbol } from './analyze.js';

const KEYWORDS = [
  'import',
  'as',
  'fn',
  'layer',
  'model',
  'param',
  'let',
  'state',
  'input',
  'target',
  'output',
  'loss',
  'optimizer',
  'train',
  'trains',
  'with',
  'update',
  'true',
  'false',
];

const SYMBOL_KIND: Readonly<Record<DocSymbol['kind'], SymbolKind>> = {
  function: SymbolKind.Function,
  layer: SymbolKind.Class,
  model: SymbolKind.Module,
  module: SymbolKind.Namespace,
  input: SymbolKind.Variable,
  target: SymbolKind.Variable,
  param: SymbolKind.Field,
  state: SymbolKind.Field,
  let: SymbolKind.Variable,
  output: SymbolKind.Property,
  loss: SymbolKind.Event,
};

/** A file path for a span's file (stdlib modules live beside the compiler). */
const pathOf = (file: string): string => (file.startsWith('stdlib:') ? stdlibPath(file.slice(7).replace(/\.dlm$/, '')) : file);

const sourceOf = (file: string, docs: ReadonlyMap<string, string>): SourceFile | undefined => {
  const text = docs.get(file);
  return text !== undefined ? { path: file, text } : sourceLookup(file);
};

const position = (src: SourceFile, offset: number): Position => {
  const { line, col } = lineCol(src, offset);
  return { line: line - 1, character: col - 1 };
};

const rangeOf = (span: Span, docs: ReadonlyMap<string, string>): Range => {
  const src = sourceOf(span.file, docs);
  if (!src) return { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  return { start: position(src, span.start), end: position(src, span.end) };
};

const offsetOf = (text: string, p: Position): number => {
  let line = 0,
    i = 0;
  while (line < p.line && i < text.length) {
    if (text.charCodeAt(i) === 10) line++;
    i++;
  }
  return Math.min(text.length, i + p.character);
};

export const hoverText = (a: Analysis, file: string, offset: number): string | undefined => {
  const at = exprAt(a, file, offset);
  if (!at) return undefined;
  const typed = at.facts.filter((f) => f.type);
  if (!typed.length) {
    // a callee's name: what it is, and the type of the call it starts
    const call = a.exprs
      .filter((e) => e.type && e.span.file === file && e.span.start === at.span.start && e.span.end > at.span.end)
      .sort((x, y) => x.span.end - y.span.end)[0];
    return call ? `${at.facts[0]!.what} → ${fmtType(call.type!)}` : at.facts[0]!.what;
  }
  const types = [...new Set(typed.map((f) => fmtType(f.type!)))];
  return types.length === 1 ? types[0]! : `${types.length} instantiations:\n${types.map((t) => `  ${t}`).join('\n')}`;
};

/** The callee of the innermost unclosed call before `offset`, e.g. `nn.Dense` in `nn.Dense(4, ` . */
const openCall = (text: string, offset: number): string | undefined => {
  let depth = 0;
  for (let i = offset - 1; i >= 0; i--) {
    const c = text[i];
    if (c === ')') depth++;
    else if (c === '(') {
      if (depth === 0) return /([A-Za-z_][\w.]*)\s*$/.exec(text.slice(Math.max(0, i - 80), i))?.[1];
      depth--;
    } else if (c === '\n' && depth === 0 && /^\s*(let|output|loss|layer|param|fn|model|input|target)\b/.test(text.slice(i + 1, offset))) return undefined;
  }
  return undefined;
};

export const completions = (a: Analysis, text: string, offset: number): CompletionItem[] => {
  const before = text.slice(0, offset);
  const member = /([A-Za-z_]\w*)\.(\w*)$/.exec(before);
  if (member) return (a.members.get(member[1]!) ?? []).map((label) => ({ label, kind: CompletionItemKind.Variable }));
  const items: CompletionItem[] = [
    ...a.names.filter((n) => !n.startsWith('@')).map((label) => ({ label, kind: CompletionItemKind.Variable })),
    ...KEYWORDS.map((label) => ({ label, kind: CompletionItemKind.Keyword })),
  ];
  const callee = openCall(text, offset);
  const params = callee ? a.params.get(callee.split('.').pop()!) : undefined;
  if (params) items.unshift(...params.map((p) => ({ label: `${p} = `, kind: CompletionItemKind.Field, sortText: `0${p}` })));
  return items;
};

const toSymbols = (syms: readonly DocSymbol[], docs: ReadonlyMap<string, string>): DocumentSymbol[] =>
  syms.map((s) => ({
    name: s.name,
    kind: SYMBOL_KIND[s.kind],
    range: rangeOf(s.span, docs),
    selectionRange: rangeOf(s.nameSpan, docs),
    children: toSymbols(s.children, docs),
  }));

export const startLanguageServer = (connection: Connection = createConnection(ProposedFeatures.all, process.stdin, process.stdout)): void => {
  const docs = new Map<string, string>();
  const analyses = new Map<string, Analysis>();
  const fileOf = (uri: string): string => (uri.startsWith('file:') ? fileURLToPath(uri) : uri);

  const refresh = (uri: string): void => {
    const file = fileOf(uri);
    const text = docs.get(file) ?? '';
    const fresh = analyze({ path: file, text }, overlayLoader(docs, defaultLoader));
    // While the text does not parse (mid-edit: `nn.`), completion and symbols use the last good check.
    const prev = analyses.get(file);
    const a: Analysis = fresh.ast || !prev ? fresh : { ...prev, diagnostics: fresh.diagnostics };
    analyses.set(file, a);
    void connection.sendDiagnostics({
      uri,
      diagnostics: a.diagnostics.map((d) => ({
        range: d.span && d.span.file === file ? rangeOf(d.span, docs) : { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } },
        severity: d.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
        code: d.code,
        source: 'dlm',
        message: d.message,
        relatedInformation: d.notes
          .filter((n) => n.span)
          .map((n) => ({ location: { uri: pathToFileURL(pathOf(n.span!.file)).href, range: rangeOf(n.span!, docs) }, message: n.message })),
      })),
    });
  };

  connection.onInitialize(() => ({
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Full,
      hoverProvider: true,
      definitionProvider: true,
      completionProvider: { triggerCharacters: ['.', '(', ','] },
      documentSymbolProvider: true,
    },
    serverInfo: { name: 'dlm' },
  }));
  connection.onDidOpenTextDocument((p) => {
    docs.set(fileOf(p.textDocument.uri), p.textDocument.text);
    refresh(p.textDocument.uri);
  });
  connection.onDidChangeTextDocument((p) => {
    const last = p.contentChanges[p.contentChanges.length - 1];
    if (last && !('range' in last)) docs.set(fileOf(p.textDocument.uri), last.text);
    refresh(p.textDocument.uri);
  });
  connection.onDidCloseTextDocument((p) => {
    docs.delete(fileOf(p.textDocument.uri));
    analyses.delete(fileOf(p.textDocument.uri));
  });

  connection.onHover((p): Hover | null => {
    const file = fileOf(p.textDocument.uri);
    const a = analyses.get(file),
      text = docs.get(file);
    if (!a || text === undefined) return null;
    const offset = offsetOf(text, p.position);
    const t = hoverText(a, file, offset);
    if (!t) return null;
    const at = exprAt(a, file, offset)!;
    return { contents: { kind: 'markdown', value: `\`\`\`\n${t}\n\`\`\`` }, range: rangeOf(at.span, docs) };
  });
  connection.onDefinition((p): Location | null => {
    const file = fileOf(p.textDocument.uri);
    const a = analyses.get(file),
      text = docs.get(file);
    if (!a || text === undefined) return null;
    const r = refAt(a, file, offsetOf(text, p.position));
    return r ? { uri: pathToFileURL(pathOf(r.def.file)).href, range: rangeOf(r.def, docs) } : null;
  });
  connection.onCompletion((p) => {
    const file = fileOf(p.textDocument.uri);
    const a = analyses.get(file),
      text = docs.get(file);
    return a && text !== undefined ? completions(a, text, offsetOf(text, p.position)) : [];
  });
  connection.onDocumentSymbol((p) => toSymbols(analyses.get(fileOf(p.textDocument.uri))?.symbols ?? [], docs));
  connection.listen();
};
