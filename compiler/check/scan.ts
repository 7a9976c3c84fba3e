// `scan(step, init, xs, reverse = false, axis = 0, length = T)`: a loop over a sequence axis.
//   step(c₁…cₙ, x₁ᵗ…xₘᵗ) returns the new carries (one tensor, or a list of n); the result is each carry
//   stacked over the steps ([T, …], or along `axis`), a list when `init` is a list.
// The step is elaborated once, into a region of IR that is then split off as the loop's body: outer
// values it reads (weights, other tensors) become captures, constants are copied in.
import { note } from '../diagnostics/codes.js';
import type { Span } from '../diagnostics/span.js';
import { INPUT } from '../ir/ir.js';
import { SCAN, SCAN_OUT, SCAN_TYPE, bodyInputName, scanAttrs, windowType, type Keep } from '../ir/scan.js';
import { normAxis } from '../types/shapes.js';
import type { Dim, TensorType } from '../types/types.js';
import { fmtType, sameType } from '../types/types.js';
import type { CallArgs } from './args.js';
import { RANDOM_KEY } from './hypers.js';
import type { ExprElab } from './expr.js';
import { regionFunction } from './region.js';
import { ERROR, describe, type Binding, type Scope } from './scope.js';
import { fmtDim } from '../types/dims.js';

const NAMES = ['step', 'init', 'xs', 'reverse', 'axis', 'length', 'truncate', 'checkpoint'];

/** A list literal of numbers is one tensor; a list of tensors is several carries or sequences. */
const isLiteral = (v: Binding): boolean => v.k === 'static' || (v.k === 'list' && v.items.every(isLiteral));

const tensors = (x: ExprElab, g: { v: Binding; span: Span }): { ids: number[]; list: boolean } | undefined => {
  const many = g.v.k === 'list' && !isLiteral(g.v);
  const items = many && g.v.k === 'list' ? g.v.items : [g.v];
  const ids = items.map((it) => x.c.tensor(it, g.span));
  return ids.some((i) => i === undefined) ? undefined : { ids: ids as number[], list: many };
};

const MAX_CHECKPOINT = 4096;

/** `checkpoint = k`: a whole number of steps ≥ 0 known at compile time (E0310; 0 = off), not with truncate (E0311). */
const checkpointSteps = (x: ExprElab, arg: { v: Binding; span: Span }, truncate: number | undefined): number | undefined => {
  const v = arg.v;
  if (v.k !== 'static' || typeof v.value !== 'number' || !Number.isInteger(v.value) || v.value < 0) {
    const what = v.k !== 'static' ? describe(v) : typeof v.value === 'number' ? String(v.value) : `the symbolic size ${fmtDim(v.value)}`;
    x.c.err('E0310', arg.span, `checkpoint must be a whole number of steps written in the source (checkpoint = 16), but it is ${what}`, [
      note('checkpoint = k stores the carry every k steps and recomputes the steps in between during backpropagation (0, the default, stores every step)'),
    ]);
    return undefined;
  }
  // a loop whose length is only known at run time is padded to a multiple of k: k bounds that padding
  if (v.value > MAX_CHECKPOINT) {
    x.c.err('E0310', arg.span, `checkpoint = ${v.value} is more than ${MAX_CHECKPOINT} steps`, [
      note("memory is smallest near k ≈ √T; a k at least the loop's length stores every step, as checkpoint = 0 does"),
    ]);
    return undefined;
  }
  if (truncate && v.value) {
    x.c.err('E0311', arg.span, 'checkpoint cannot be combined with truncate: truncated backpropagation already bounds what each window stores', [
      note('use one of them: truncate = k cuts the gradient every k steps; checkpoint = k keeps the whole gradient and recomputes'),
    ]);
    return undefined;
  }
  return v.value;
};

export const scanBuiltin = (x: ExprElab, a: CallArgs, span: Span, scope: Scope): Binding => {
  const get = (i: number) => a.pos[i] ?? a.kw.get(NAMES[i]!);
  for (const [k, v] of a.kw) if (!NAMES.includes(k)) return x.c.err('E0104', v.span, `scan has no argument '${k}' (it takes ${NAMES.join(', ')})`);
  if (a.pos.length > 3) return x.c.err('E0104', span, 'scan takes at most 3 positional arguments: scan(step, init, xs)');
  const stepArg = get(0),
    initArg = get(1),
    xsArg = get(2);
  if (!stepArg || !initArg) return x.c.err('E0104', span, 'scan needs a step function and initial carries: scan(step, init, xs)');
  const reverse = get(3) ? x.c.staticValue(get(3)!.v, get(3)!.span, 'reverse') : 0;
  const axisArg = get(4) ? x.c.staticInt(get(4)!.v, get(4)!.span, 'axis') : 0;
  // truncate = k: backpropagation through time stops at every k-th step (0: the whole sequence)
  const truncate = get(6) ? x.c.staticInt(get(6)!.v, get(6)!.span, 'truncate') : 0;
  if (truncate !== undefined && truncate < 0) return x.c.err('E0104', get(6)!.span, `truncate must be a number of steps ≥ 0, got ${truncate}`);
  // checkpoint = k: backpropagation stores the carry every k steps and recomputes the steps between
  const checkpoint = get(7) ? checkpointSteps(x, get(7)!, truncate) : 0;
  if (checkpoint === undefined) return ERROR;
  const init = tensors(x, initArg);
  const xsRaw = xsArg ? tensors(x, xsArg) : { ids: [], list: true };
  if (!init || !xsRaw || reverse === undefined || axisArg === undefined || truncate === undefined) return ERROR;
  if (init.ids.length === 0) return x.c.err('E0105', initArg.span, 'scan needs at least one carry');

  // Sequences are scanned along `axis`: move it to the front.
  const xs: number[] = [];
  for (const id of xsRaw.ids) {
    const t = x.c.type(id);
    const ax = normAxis(axisArg, t.shape.length);
    if (t.shape.length === 0 || ax === undefined)
      return x.c.err('E0203', xsArg!.span, `scan axis ${axisArg} is out of range for a sequence of type ${fmtType(t)}`);
    if (ax === 0) {
      xs.push(id);
      continue;
    }
    const perm = [ax, ...t.shape.map((_, i) => i).filter((i) => i !== ax)];
    const r = x.c.op('transpose', [id], { perm }, span);
    if (r.k !== 'tensor') return ERROR;
    xs.push(r.id);
  }
  let length: Dim | undefined;
  if (xs.length) {
    length = x.c.type(xs[0]!).shape[0]!;
    const bad = xs.find((id) => String(x.c.type(id).shape[0]) !== String(length));
    if (bad !== undefined)
      return x.c.err(
        'E0203',
        xsArg!.span,
        `the sequences of a scan must have the same length along axis ${axisArg}: ${xs.map((id) => fmtType(x.c.type(id))).join(', ')}`,
      );
  }
  if (get(5)) {
    const n = x.c.staticValue(get(5)!.v, get(5)!.span, 'scan length');
    if (n === undefined) return ERROR;
    if (length !== undefined && String(n) !== String(length))
      return x.c.err('E0203', get(5)!.span, `length = ${String(n)} but the sequences have ${String(length)} steps`);
    length = n;
  }
  if (length === undefined) return x.c.err('E0104', span, 'scan without sequences needs its number of steps: scan(step, init, length = T)');

  // Elaborate one step into a fresh region of the builder.
  const b = x.c.b;
  const from = b.nodes.length;
  const updatesBefore = x.c.stateUpdates.size;
  const carryTypes = init.ids.map((id) => x.c.type(id));
  const stepTypes = xs.map((id) => {
    const t = x.c.type(id);
    return { dtype: t.dtype, shape: t.shape.slice(1) };
  });
  const placeholders = b.at(span, () => [
    ...carryTypes.map((t, i) => b.input(bodyInputName('c', i), 'input', t, span)),
    ...stepTypes.map((t, i) => b.input(bodyInputName('x', i), 'input', t, span)),
  ]);
  // Random draws in the step (rand_like, dropout, sampling) read a key of their own at every step, so each
  // iteration draws fresh numbers: the keys are one more sequence, integers < 2^24 hashed from the outer key.
  const stepKey = b.at(span, () => b.input(bodyInputName('x', xs.length), 'input', { dtype: 'f32', shape: [] }, span));
  const stepArgs = { pos: placeholders.map((id) => ({ v: { k: 'tensor' as const, id }, span: stepArg.span })), kw: new Map() };
  const result = x.c.withHyper(RANDOM_KEY, stepKey, () => x.apply(stepArg.v, stepArgs, span, scope));
  const outs = result.k === 'error' ? undefined : tensors(x, { v: result, span });
  const region0 = b.cut(from);
  const drawsRandom = region0.some((n) => n.inputs.includes(stepKey));
  const region = drawsRandom ? region0 : region0.filter((n) => n.id !== stepKey);
  if (drawsRandom) {
    const u = x.c.op('uniform', [x.c.hyper(RANDOM_KEY, span)], { shape: [length], stream: x.c.streams++ }, span);
    const big = b.at(span, () => b.num(16777216, 'f32'));
    const scaled = u.k === 'tensor' ? x.c.op('mul', [u.id, big], {}, span) : ERROR;
    const keys = scaled.k === 'tensor' ? x.c.op('floor', [scaled.id], {}, span) : ERROR;
    if (keys.k !== 'tensor') return ERROR;
    xs.push(keys.id);
    placeholders.push(stepKey);
  }
  // Inputs created while elaborating the step (the training flag, the outer random key) belong to the model.
  const placeholderSet = new Set(placeholders);
  for (const n of region) if (n.op === INPUT && !placeholderSet.has(n.id)) b.adopt(n);
  if (!outs) return ERROR;
  if (x.c.stateUpdates.size !== updatesBefore) return x.c.err('E0209', span, "a scan step cannot 'update' a state (the update would happen once per step)");
  const shapeList = (ts: readonly TensorType[]) => ts.map(fmtType).join(', ');
  // the step's results live in the region just cut off, or outside it (an outer value returned as is)
  const regionTypes = new Map(region.map((n) => [n.id, n.type]));
  const outTypes = outs.ids.map((id) => regionTypes.get(id) ?? x.c.type(id));
  if (outs.ids.length !== init.ids.length || outTypes.some((t, i) => !sameType(t, carryTypes[i]!))) {
    return x.c.err(
      'E0209',
      stepArg.span,
      `the scan step must return its carries with their types (${shapeList(carryTypes)}), but it returns ${shapeList(outTypes)}`,
      [note('the initial carries are given here', initArg.span)],
    );
  }

  // Split the region off as the body: captured outer values become inputs k0…, outer constants are copied.
  const inRegion = new Set(region.filter((n) => n.op !== INPUT || placeholderSet.has(n.id)).map((n) => n.id));
  const { fn: body, captures } = regionFunction(b, region, inRegion, outs.ids, {
    fn: 'scan_step',
    capture: (j) => bodyInputName('k', j),
    output: (i) => `c${i}`,
  });

  const keep: Keep[] = carryTypes.map(() => 'all');
  const scan = b.at(span, () =>
    b.structural(
      SCAN,
      [...init.ids, ...xs, ...captures],
      scanAttrs({ body, carries: init.ids.length, xs: xs.length, keep, reverse: reverse !== 0, length: length!, truncate, checkpoint, segment: 0 }),
      SCAN_TYPE,
    ),
  );
  const stacked = carryTypes.map((t, i) => {
    const out = b.at(span, () => b.structural(SCAN_OUT, [scan], { index: i, window: 'after' }, windowType(t, 'after', length!)));
    if (axisArg === 0) return out;
    // Put the sequence axis back where the inputs had it.
    const rank = t.shape.length + 1;
    const ax = normAxis(axisArg, rank) ?? 0;
    const perm = [...Array(rank).keys()].slice(1);
    perm.splice(ax, 0, 0);
    const r = x.c.op('transpose', [out], { perm }, span);
    return r.k === 'tensor' ? r.id : out;
  });
  return init.list ? { k: 'list', items: stacked.map((id) => ({ k: 'tensor', id })) } : { k: 'tensor', id: stacked[0]! };
};
