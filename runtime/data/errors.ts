// Errors for malformed data files: they name the file and, when known, the line (1-based). Data-file
// errors carry a stable code (E07xx) that the CLI prints like a diagnostic's.
export class DataError extends Error {
  constructor(
    readonly file: string,
    message: string,
    readonly line?: number,
    readonly errorCode?: string,
  ) {
    super(`${file}${line !== undefined ? `: line ${line}` : ''}: ${message}`);
    this.name = 'DataError';
  }
}

/** A data-file error with its code (E07xx), for data that does not fit. */
export const dataError = (file: string, code: string, message: string): DataError => new DataError(file, message, undefined, code);

/** A malformed data file (bad syntax, wrong sizes, unreadable): E0701. */
export const badFile = (file: string, message: string, line?: number): DataError => new DataError(file, message, line, 'E0701');
