// Contracts of stdlib functions are checked at the user's call (issue 20): a wrong element type or rank
// is reported on the argument the user wrote, with what the function expects (its doc comment) and how
// to convert, never first inside the standard library. `...` in a parameter type stands for any dims.
import { describe, expect, test } from 'vitest';
import { render } from '../compiler/index.js';
import { compileErr, compileOk } from './helpers/compile.js';

const at = (src: string, needle: string) => {
  const i = src.indexOf(needle);
  const before = src.slice(0, i).split('\n');
  return `${before.length}:${before.at(-1)!.length + 1}`;
};
const first = (src: string) => {
  const ds = compileErr(src);
  const d = ds[0]!;
  const lines = src.slice(0, d.span!.start).split('\n');
  return { d, where: `${lines.length}:${lines.at(-1)!.length + 1}`, text: render(ds) };
};
const classifier = (target: string, loss: string) => `import nn
model C {
  input x: f32[B, 2]
  target y: ${target}
  layer l = nn.Dense(2, 3)
  output logits = l(x)
  loss ${loss}
}
`;

describe('stdlib losses: element types at the call', () => {
  test("one-hot f32 targets to nn.cross_entropy: E0205 on the user's argument, naming softmax_cross_entropy and argmax", () => {
    const src = classifier('f32[B, 3]', 'nn.cross_entropy(logits, y)');
    const { d, where, text } = first(src);
    expect(d.code).toBe('E0205');
    expect(where).toBe(at(src, 'y)'));
    expect(d.message).toBe("argument 'labels' of cross_entropy is f32[B, 3], but is declared as i32[...]");
    expect(text).toContain('softmax_cross_entropy');
    expect(text).toContain('argmax(x, -1)');
    expect(text).not.toMatch(/cannot broadcast/);
  });

  test('integer labels to nn.softmax_cross_entropy: E0205 naming cross_entropy', () => {
    const src = classifier('i32[B]', 'nn.softmax_cross_entropy(logits, y)');
    const { d, where, text } = first(src);
    expect(d.code).toBe('E0205');
    expect(where).toBe(at(src, 'y)'));
    expect(d.message).toMatch(/argument 'targets' of softmax_cross_entropy is i32\[B\], but is declared as f32\[\.\.\., C\]/);
    expect(text).toContain('integer labels: cross_entropy');
  });

  test('the right types compile, for any number of leading dims', () => {
    compileOk(classifier('i32[B]', 'nn.cross_entropy(logits, y)'));
    compileOk(classifier('f32[B, 3]', 'nn.softmax_cross_entropy(logits, y)'));
    compileOk(`import nn
model S {
  input x: f32[B, T, 4]
  target y: i32[B, T]
  layer l = nn.Dense(4, 5)
  output logits = l(x)
  loss nn.sequence_cross_entropy(logits, y)
}
`);
  });

  test('float ids to nn.Embedding: E0205 on the ids', () => {
    const src = `import nn
model E {
  input ids: f32[B, 4]
  layer emb = nn.Embedding(10, 3)
  output h = emb(ids)
}
`;
    const { d, where } = first(src);
    expect(d.code).toBe('E0205');
    expect(where).toBe(at(src, 'ids)'));
    expect(d.message).toBe("argument 'ids' of emb is f32[B, 4], but is declared as i32[...]");
  });
});

describe('`...` in parameter types', () => {
  const fnModel = (fn: string, input: string, call: string) => `${fn}
model M {
  input x: ${input}
  output y = ${call}
}
`;
  test('dims after `...` bind to the last ones and can be used in the body', () => {
    for (const shape of ['f32[4]', 'f32[2, 4]', 'f32[2, 3, 4]']) compileOk(fnModel('fn f(a: f32[..., C]) = a / C', shape, 'f(x)'));
    compileOk(fnModel('fn f(a: f32[N, ..., C]) -> f32[N, ...] = sum(a, -1)', 'f32[2, 3, 4]', 'f(x)'));
  });
  test('a fixed dim after `...` is checked, and the message shows both forms', () => {
    const src = fnModel('fn f(a: f32[..., 3]) = a', 'f32[2, 4]', 'f(x)');
    const { d } = first(src);
    expect(d.code).toBe('E0205');
    expect(d.message).toBe("argument 'a' of f is f32[2, 4], but is declared as f32[..., 3], here f32[2, 3]");
  });
  test('too few dims for the fixed ones is a rank error', () => {
    const { d } = first(fnModel('fn f(a: f32[..., M, N]) = a', 'f32[5]', 'f(x)'));
    expect(d.message).toBe("argument 'a' of f is f32[5], but is declared as f32[..., M, N] (at least rank 2)");
  });
  test('`...` is refused where a fixed rank is needed, and twice in one type (E0112)', () => {
    expect(compileErr('model M {\n  input x: f32[B, ...]\n  output y = x\n}\n')[0]!.code).toBe('E0112');
    expect(compileErr('model M {\n  param w: f32[...] = zeros\n  output y = w\n}\n')[0]!.code).toBe('E0112');
    expect(first(fnModel('fn f(a: f32[..., ...]) = a', 'f32[2]', 'f(x)')).d.code).toBe('E0112');
  });
});
