// The comment above a standard-library function, shown when a call breaks that function's contract:
// the user is told what the function expects (and what to use instead) where they called it, without
// being sent into the stdlib's code first.
import { note } from '../diagnostics/codes.js';
import type { Note } from '../diagnostics/diagnostic.js';
import type { Span } from '../diagnostics/span.js';
import { stdlibText } from '../stdlibText.js';
import { isStdlib } from './elab.js';

/** The `//` lines right above the line of `at` in a stdlib file, as one note (none elsewhere). */
export const stdlibDoc = (at: Span): Note[] => {
  if (!isStdlib(at.file)) return [];
  const text = stdlibText(at.file.slice('stdlib:'.length).replace(/\.dlm$/, ''));
  if (text === undefined) return [];
  const lines = text.slice(0, at.start).split('\n');
  lines.pop(); // the declaration's own line
  const doc: string[] = [];
  while (lines.length && /^\s*\/\//.test(lines.at(-1)!)) doc.unshift(lines.pop()!.replace(/^\s*\/\/\s?/, ''));
  if (!doc.length) return [];
  const text1 = doc.join(' ');
  // the opening of the comment is what the function expects; the rest is in the file
  const cut = text1.length <= 200 ? text1 : `${text1.slice(0, text1.lastIndexOf(' ', 200))} …`;
  return [note(cut)];
};
