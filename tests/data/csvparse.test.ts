// The CSV parser: quoted fields (delimiters, doubled quotes and line breaks inside), CRLF, blank lines,
// and the same records whatever the chunk size (quotes and CRLF split across chunk boundaries).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { csvRecords } from '../../runtime/data/csvParse.js';
import { DataError } from '../../runtime/data/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'dlm-csv-'));

test('RFC 4180 fields, the same at every chunk size', () => {
  const p = join(dir, 't.csv');
  writeFileSync(p, 'a,"b, c",d\r\n1,"say ""hi""",3\n\n"multi\nline" , x ,"q"""\n"end"');
  const want = [
    [1, ['a', 'b, c', 'd']],
    [2, ['1', 'say "hi"', '3']],
    [4, ['multi\nline', 'x', 'q"']],
    [6, ['end']],
  ];
  for (const size of [1, 2, 3, 5, 7, 1 << 20]) expect([...csvRecords(p, ',', size)].map((r) => [r.line, r.cells])).toEqual(want);
});

test('an unclosed quote names the line it starts on', () => {
  const p = join(dir, 'u.csv');
  writeFileSync(p, 'a,b\n1,"open\n2,3\n');
  expect(() => [...csvRecords(p, ',')]).toThrow(DataError);
  expect(() => [...csvRecords(p, ',')]).toThrow(/u\.csv: line 2: a quoted field is not closed/);
});
