// Every user-facing error, one constructor each, with a stable code. Codes are grouped by phase:
// E00xx syntax, E01xx names, E02xx types and shapes, E03xx differentiation, E04xx run time.
// The error index in the README lists them; tests assert codes and positions, not wording.
// Ranges: E05xx runs and checkpoints, E06xx limits and untrusted input, E07xx data files, E08xx export, E09xx backends.
import { diag, note, type Diagnostic, type Note } from './diagnostic.js';
import type { Span } from './span.js';

export const CODES = {
  E0001: 'syntax error',
  E0002: 'invalid number literal',
  E0003: 'positional argument after keyword argument',
  E0101: 'unknown name',
  E0102: 'duplicate definition',
  E0103: 'unknown module or unreadable import',
  E0104: 'wrong number or names of arguments',
  E0105: 'not callable / wrong kind of value',
  E0106: 'recursive function',
  E0107: 'import cycle',
  E0108: 'no model in file / unknown model',
  E0109: 'unknown initializer',
  E0110: 'unknown optimizer or optimizer setting',
  E0111: 'unknown or invalid train setting',
  E0201: 'shapes cannot be broadcast together',
  E0202: 'matmul dimension mismatch',
  E0203: 'invalid shape for operation',
  E0204: 'wrong element type',
  E0205: 'value does not match its declared type',
  E0206: 'a static (compile-time) value is required',
  E0207: 'invalid dimension',
  E0208: 'loss must be a scalar f32',
  E0209: 'scan step does not return its carries',
  E0301: 'not differentiable',
  E0302: 'gradient of a non-scalar',
  E0303: 'a grad rule takes the arguments and the cotangent',
  E0304: 'a function with a grad rule must return one f32 tensor',
  E0305: 'a function with a grad rule reads a differentiable value from outside its arguments',
  E0306: "a grad rule's result does not match its argument",
  E0307: 'a grad rule disagrees with finite differences of its function',
  E0401: 'input has the wrong shape',
  E0402: 'missing input',
  E0403: 'input data does not match its shape',
  E0404: 'non-finite value during training',
  E0801: 'an op cannot be exported to this format',
  E0802: 'a symbolic size cannot be computed in the exported graph',
  E0803: 'unknown output to export',
  E0601: 'source file refused (outside the import rules, not a regular .dlm file, or too large)',
  E0602: 'imports nested too deeply',
  E0603: 'the program elaborates to too many IR nodes',
  E0604: 'calls nested too deeply',
  E0605: 'tensor too large',
  E0606: 'memory limit exceeded',
  E0607: 'source nested too deeply',
  E0900: 'the native backend is unavailable (no C compiler or koffi)',
  E0701: 'malformed or unreadable data file',
  E0702: 'data features do not fit the declared input',
  E0703: 'data labels do not fit the declared target',
  E0704: 'no such column in a data file',
  E0705: 'a non-numeric value in a numeric column',
  E0706: 'a missing value in a data file',
  E0707: 'images do not fit the declared input',
  E0708: 'a class the training data does not have',
  E0709: 'a text file does not fit the language model',
  E0710: 'arrays not found in a data file or folder',
  E0711: 'a data option that does not apply',
  E0712: 'a model that a data file cannot feed',
} as const;

export type Code = keyof typeof CODES;

export const error = (code: Code, span: Span | null, message: string, notes: readonly Note[] = []): Diagnostic => diag(code, span, message, notes);
export { note };
