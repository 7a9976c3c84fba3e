// A streaming CSV/TSV parser (RFC 4180): fields may be quoted ("a, b", "say ""hi""", line breaks
// inside quotes), CRLF or LF line ends, unquoted fields are trimmed, blank lines skipped. The file is
// read in 1 MiB chunks, so a large file never needs to be in memory as text.
import { closeSync, openSync, readSync } from 'node:fs';
import { badFile } from './errors.js';

export interface CsvRecord {
  readonly cells: string[];
  readonly quoted: boolean[];
  readonly line: number;
}

const QUOTE = 34,
  NL = 10,
  CR = 13;

function* chunks(path: string, size: number): Generator<string> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw badFile(path, `cannot read: ${(e as Error).message}`);
  }
  const buf = Buffer.alloc(size);
  const dec = new TextDecoder();
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      yield dec.decode(buf.subarray(0, n), { stream: true });
    }
    const tail = dec.decode();
    if (tail) yield tail;
  } finally {
    closeSync(fd);
  }
}

/** Guesses the delimiter from the file name and its first line: tab for .tsv, else ',' unless only ';' or tabs appear. */
export const guessDelimiter = (path: string, firstLine: string): string => {
  if (/\.tsv$/i.test(path)) return '\t';
  if (firstLine.includes(',')) return ',';
  if (firstLine.includes('\t')) return '\t';
  if (firstLine.includes(';')) return ';';
  return ',';
};

/** The records of a delimited file, one array of cells per record, with the 1-based line it starts on. */
export function* csvRecords(path: string, delimiter: string, chunkSize = 1 << 20): Generator<CsvRecord> {
  const D = delimiter.charCodeAt(0);
  let field = '',
    cells: string[] = [],
    quoted: boolean[] = [];
  let inQ = false,
    wasQ = false,
    pendingQuote = false,
    line = 1,
    recLine = 1,
    qLen = 0;
  const endField = () => {
    cells.push(wasQ ? field.slice(0, qLen) + field.slice(qLen).trim() : field.trim());
    quoted.push(wasQ);
    field = '';
    wasQ = false;
  };
  const endRecord = (): CsvRecord | undefined => {
    endField();
    const r = cells.length === 1 && cells[0] === '' && !quoted[0] ? undefined : { cells, quoted, line: recLine };
    cells = [];
    quoted = [];
    return r;
  };
  for (const text of chunks(path, chunkSize)) {
    let i = 0,
      start = 0;
    const n = text.length;
    if (pendingQuote) {
      // a quote ended the last chunk: "" (an escaped quote) or the closing quote
      pendingQuote = false;
      if (text.charCodeAt(0) === QUOTE) {
        field += '"';
        i = start = 1;
      } else {
        inQ = false;
        qLen = field.length;
      }
    }
    while (i < n) {
      const c = text.charCodeAt(i);
      if (inQ) {
        if (c === QUOTE) {
          field += text.slice(start, i);
          if (i + 1 === n) {
            pendingQuote = true;
            i++;
            start = i;
            continue;
          }
          if (text.charCodeAt(i + 1) === QUOTE) {
            field += '"';
            i += 2;
            start = i;
            continue;
          }
          inQ = false;
          qLen = field.length;
          i++;
          start = i;
          continue;
        }
        if (c === NL) line++;
        i++;
        continue;
      }
      if (c === QUOTE && field === '' && text.slice(start, i).trim() === '') {
        inQ = true;
        wasQ = true;
        i++;
        start = i;
        continue;
      }
      if (c === D) {
        field += text.slice(start, i);
        endField();
        i++;
        start = i;
        continue;
      }
      if (c === NL) {
        field += text.slice(start, i);
        if (field.charCodeAt(field.length - 1) === CR) field = field.slice(0, -1);
        const r = endRecord();
        line++;
        recLine = line;
        if (r) yield r;
        i++;
        start = i;
        continue;
      }
      i++;
    }
    field += text.slice(start, n);
  }
  if (pendingQuote) {
    inQ = false;
    qLen = field.length;
  }
  if (inQ) throw badFile(path, 'a quoted field is not closed before the end of the file', recLine);
  if (field.charCodeAt(field.length - 1) === CR) field = field.slice(0, -1);
  const r = endRecord();
  if (r) yield r;
}
