// fast-check, a peer dependency of dlm/testing (the arbitraries are fast-check values): loaded here so
// that a project without it gets one sentence saying what to install instead of a resolution error.
let loaded: typeof import('fast-check');
try {
  loaded = await import('fast-check');
} catch (e) {
  throw new Error('dlm/testing needs fast-check, its peer dependency: npm install --save-dev fast-check@^4.10.2', { cause: e });
}

export const fc = loaded.default;
