// Op names are typed (issue 21): a derivative rule or lowering that names a primitive which does not
// exist is a type error, caught by `npm run typecheck` (each `@ts-expect-error` below fails the typecheck
// if the name it marks were accepted). At run time the same mistakes stay compiler bugs (InternalError).
import { describe, expect, test } from 'vitest';
import { InternalError } from '../compiler/diagnostics/diagnostic.js';
import { IrBuilder } from '../compiler/ir/builder.js';
import type { GradBuilder, Value } from '../compiler/ops/op.js';

describe('op names are typed', () => {
  test('GradBuilder.op and IrBuilder.op take an OpName; a name from a node goes through opNamed', () => {
    const b = new IrBuilder();
    const x = b.input('x', 'input', { dtype: 'f32', shape: [2] }, { file: 'm.dlm', start: 0, end: 1 });
    const rule = (g: GradBuilder, v: Value): Value => g.op('tanh', [v]);
    const typo = (g: GradBuilder, v: Value): Value =>
      // @ts-expect-error 'tahn' is not a primitive
      g.op('tahn', [v]);
    expect(b.type(rule(b, x))).toEqual({ dtype: 'f32', shape: [2] });
    expect(() => typo(b, x)).toThrow(InternalError);
    // @ts-expect-error a structural node is not a primitive
    expect(() => b.op('scan', [x])).toThrow(InternalError);
    expect(b.type(b.opNamed('exp', [x]))).toEqual({ dtype: 'f32', shape: [2] });
    expect(() => b.opNamed('tahn', [x])).toThrow(/unknown primitive 'tahn'/);
  });
});
