// The OpDef record: everything about one primitive (shape rule, reference eval, code emission, derivative)
// lives in its entry. Passes and codegen only ask these fields; nothing outside compiler/ops/ names an op.
import type { OpName } from './registry.js';
import type { Expr, Stmt } from '../loops/loops.js';
import type { ShapeError } from '../types/shapes.js';
import type { Dim, DType, TensorType } from '../types/types.js';
import type { MathName } from './math.js';

/** A nested IR function (the body of a loop); ops/ only carries it, ir/scan.ts gives it its type. */
export interface SubFunction {
  readonly name: string;
  readonly nodes: readonly unknown[];
}
export type AttrValue = number | boolean | string | readonly number[] | readonly Dim[] | SubFunction;
export type Attrs = Readonly<Record<string, AttrValue>>;

/** A dense float64 array: the reference interpreter's value. */
export interface NdArray {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

/** An IR value is the id of the node that computes it. */
export type Value = number;

/** What a derivative rule may do: build IR nodes. ir/builder.ts implements it, so ops/ never imports ir/. */
export interface GradBuilder {
  op(name: OpName, inputs: readonly Value[], attrs?: Attrs): Value;
  /** An f32 scalar constant; `value` may be a symbolic dim (e.g. the batch size B). */
  num(value: number | Dim): Value;
  type(v: Value): TensorType;
}

/** A forward-mode rule: the result's tangent from the inputs' tangents (null = zero). */
export type JvpFn = (b: GradBuilder, tangents: readonly (Value | null)[], n: NodeView) => Value | null;

export interface NodeView {
  readonly inputs: readonly Value[];
  readonly out: Value;
  readonly attrs: Attrs;
  readonly inTypes: readonly TensorType[];
  readonly type: TensorType;
}

/** A strided window on a flat buffer: element i (multi-index) lives at offset + Σ i_d·strides_d. */
export interface StridedView {
  readonly offset: number;
  readonly strides: readonly number[];
}

/** Shapes and attributes a test generator may pick for an op; GenKit is backed by fast-check in tests. */
export interface GenKit {
  int(lo: number, hi: number): number;
  bool(): boolean;
  pick<T>(xs: readonly T[]): T;
  shape(minRank: number, maxRank: number, maxDim?: number): number[];
}
export interface OpSample {
  readonly shapes: readonly (readonly number[])[];
  readonly attrs: Attrs;
  readonly dtypes?: readonly DType[];
}

/** How codegen emits the op, by kind. Each form is backend-neutral. */
export type Emit =
  | { readonly kind: 'scalar'; readonly expr: (args: readonly Expr[], attrs: Attrs, idx: (axis: number) => Expr, shape: readonly number[]) => Expr }
  | { readonly kind: 'reduce'; readonly identity: number; readonly combine: (acc: Expr, x: Expr) => Expr }
  | { readonly kind: 'view'; readonly view: (inShape: readonly number[], outShape: readonly number[], attrs: Attrs, v: StridedView) => StridedView | null }
  | {
      readonly kind: 'pieces';
      readonly fill: number;
      readonly pieces: (inShapes: readonly (readonly number[])[], attrs: Attrs) => readonly (readonly number[])[];
    }
  | { readonly kind: 'contraction'; readonly kernel: (k: ContractionArgs) => readonly Stmt[] }
  | { readonly kind: 'kernel'; readonly kernel: (k: KernelArgs) => readonly Stmt[] };

/** Operands of a custom loop-nest kernel (convolution): contiguous buffers with their concrete shapes. */
export interface KernelArgs {
  readonly out: string;
  readonly ins: readonly string[];
  readonly outShape: readonly number[];
  readonly inShapes: readonly (readonly number[])[];
  readonly attrs: Attrs;
  readonly fresh: (hint: string) => string;
  /** A buffer of `size` numbers for this kernel only (argsort's merge sort), uninitialized. */
  readonly scratch?: (size: number) => string;
}

/** Fresh variable names, one per hint, as a tuple of the same length: `const [i, j] = freshNames(k, ['i', 'j'])`. */
export const freshNames = <const H extends readonly string[]>(k: Pick<KernelArgs, 'fresh'>, hints: H): { -readonly [I in keyof H]: string } =>
  hints.map((h) => k.fresh(h)) as { -readonly [I in keyof H]: string };

/** Operands of a contraction, already resolved to strided views of concrete buffers. */
export interface ContractionArgs {
  readonly out: string;
  readonly a: { readonly buf: string; readonly view: StridedView };
  readonly b: { readonly buf: string; readonly view: StridedView };
  readonly outShape: readonly number[];
  readonly inShapes: readonly (readonly number[])[];
  readonly fresh: (hint: string) => string;
  /**
   * Fused elementwise consumer (bias, activation): the value stored at an output position, given the
   * accumulated result and that position's index along every output axis.
   */
  readonly epilogue?: (acc: Expr, index: readonly Expr[]) => Expr;
  /**
   * Present when operands and output are float32 and B and out are in the runtime's WebAssembly memory:
   * the kernel may call extern SIMD kernels. `scratch(n)` gives it a buffer of n floats for this kernel
   * only; `copyA`: A is not in that memory (a batch input), so the kernel must copy what it passes.
   */
  /**
   * rowBudget: elements of a fused epilogue's product scratch (the native backend's kernels want whole products);
   * anyStrides: a kernel takes any strides of A and B (native: mm_strided); foldBatch: batch entries that
   * share B may be one product of more rows (native: its kernels pack B once per call).
   */
  readonly simd?: {
    readonly scratch: (size: number) => string;
    readonly copyA: boolean;
    readonly rowBudget?: number;
    readonly anyStrides?: boolean;
    readonly foldBatch?: boolean;
  };
}

/**
 * A documented value at special inputs (elementwise ops; one input value per operand, broadcast):
 * f(at…) = out, checked against the interpreter and compiled code by tests/opspecial.test.ts and listed
 * in README's op table. `torch`: PyTorch's result where dlm gives another on purpose, and why.
 */
export interface SpecialValue {
  readonly at: readonly number[];
  readonly out: number;
  readonly torch?: { readonly out: number; readonly why: string };
}

/**
 * A documented result of a non-elementwise op (argmax, sort, a recurrence) on 1-D operands holding
 * special values: op(ins…; attrs) = out, element for element (NaN = NaN, −0 ≠ 0). Checked like
 * SpecialValue by tests/opspecial.test.ts and listed in README's op table.
 */
export interface SpecialCase {
  readonly ins: readonly (readonly number[])[];
  readonly attrs: Attrs;
  readonly out: readonly number[];
  /** Operand element types when not all f32 (indices). */
  readonly dtypes?: readonly DType[];
}

export type OpKind = 'elementwise' | 'reduce' | 'movement' | 'contraction' | 'source';

/**
 * One argument of an op's call from .dlm source, positional in this order or by keyword `name`:
 * 'tensor' an operand; 'tensors' a non-empty list of operands (concat's). The others are compile-time
 * values that fill the attribute `attr` (default `name`): 'axes' distinct axes of the first operand,
 * sorted (`all`, or left out: every axis); 'int' an integer; 'dims' a list of (possibly symbolic)
 * integers; 'size' a (possibly symbolic) number; 'bool' a flag (left out: false); 'dtype' an element type.
 */
export interface Param {
  readonly name: string;
  readonly kind: 'tensor' | 'tensors' | 'axes' | 'int' | 'dims' | 'size' | 'bool' | 'dtype';
  readonly attr?: string;
  /** May be left out (trailing parameters only): its attribute is then absent, but for 'axes' and 'bool'. */
  readonly optional?: boolean;
  /** The argument in messages (default its name), e.g. 'iota length'. */
  readonly what?: string;
  /** A call that shows the argument's form, for the message when it is wrong. */
  readonly example?: string;
}

/**
 * How .dlm calls an op that takes compile-time arguments: the checker reads `params` (check/call.ts) and
 * adds one node of the op. Ops without a signature take their inputs as positional tensors, no attributes.
 */
export interface Signature {
  readonly params: readonly Param[];
  /** The attributes completed from the operands' types (reshape's −1, transpose's default order), or what is wrong with the call. */
  readonly resolve?: (attrs: Attrs, ins: readonly TensorType[]) => Attrs | ShapeError;
}

/**
 * The type of one attribute's value: 'int' an integer; 'size' an integer or a symbolic dim; 'ints' a list
 * of integers; 'dims' a list of integers and symbolic dims (a shape); 'numbers' a list of finite numbers;
 * 'bool' a flag; 'dtype' an element type; a list of strings: one of them.
 */
export type AttrKind = 'int' | 'size' | 'ints' | 'dims' | 'numbers' | 'bool' | 'dtype' | readonly string[];
/** An op's attributes by name; `optional` ones may be absent (their rules then take the default). */
export type AttrSchema = Readonly<Record<string, AttrKind | { readonly kind: AttrKind; readonly optional: true }>>;

export interface OpDef {
  readonly name: string;
  /** Number of inputs, or 'variadic' (concat). */
  readonly arity: number | 'variadic';
  /** The attributes a node of this op carries, each typed (ops/attrs.ts checks a node; absent: none). */
  readonly attrs?: AttrSchema;
  readonly kind: OpKind;
  readonly doc: string;
  shape(ins: readonly TensorType[], attrs: Attrs): TensorType | ShapeError;
  eval(ins: readonly NdArray[], attrs: Attrs, out: { readonly dtype: DType; readonly shape: readonly number[] }): NdArray;
  readonly emit: Emit;
  /** Cotangents for each input (null = symbolic zero). Rules never unbroadcast; the driver does. */
  vjp(b: GradBuilder, ct: Value, n: NodeView): readonly (Value | null)[];
  /** Restricts generated test inputs: 'positive' for log/sqrt, 'unit' = (−1, 1) for asin/atanh, 'above-one' for acosh, etc. */
  readonly domain?: 'any' | 'positive' | 'nonzero' | 'away-from-ties' | 'unit' | 'above-one';
  /** False when the op carries no gradient at all (comparisons, iota). */
  readonly differentiable: boolean;
  /**
   * Forward mode (autodiff/jvp.ts): how the tangent of the result follows from the inputs' tangents.
   * Absent: the kind's default — elementwise 'diagonal' (ẏ = Σᵢ vjpᵢ(ẋᵢ)), reduce 'reduce'
   * (ẏ = Σ_axes vjp(1)·ẋ), movement 'linear' (ẏ = f(ẋ…)), source 'zero'; contractions must declare theirs.
   * 'bilinear': ẏ = f(ẋ₀, x₁) + f(x₀, ẋ₁). A function: the rule itself (null = zero). { unsupported }: why
   * forward mode cannot differentiate the op (reported as E0312).
   */
  readonly jvp?: 'linear' | 'bilinear' | 'diagonal' | 'reduce' | 'zero' | JvpFn | { readonly unsupported: string };
  /** Inputs/attrs for registry-driven property tests. */
  gen(k: GenKit): OpSample;
  /** Where dlm's convention differs from PyTorch's on purpose, and why (README's op table shows it). */
  readonly differs?: string;
  /** Values at 0, −0, ±∞, NaN and other edges that the op documents (see SpecialValue). */
  readonly special?: readonly SpecialValue[];
  /** The same for ops over axes, on 1-D operands (see SpecialCase). */
  readonly edges?: readonly SpecialCase[];
  /**
   * Not callable by name from .dlm: built by derivative rules, by indexing (slice), or by the built-in of
   * check/builtins.ts that lowers a richer call to it (conv2d, pad, argmax, argsort, linrec).
   */
  readonly internal?: boolean;
  /** The math-table function it applies elementwise (one input), if any: export rules derive from its spellings. */
  readonly math?: MathName;
  /** Its call from .dlm when it takes compile-time arguments (see Signature); public ops only. */
  readonly call?: Signature;
  /** Algebraic facts the simplifier may use (it never names ops itself). */
  readonly algebra?: Algebra;
  /**
   * Floating-point operations for these concrete shapes (`dlm compile --stats`). Default by kind:
   * elementwise = output size, reduce = input size, movement = 0; contractions must declare theirs.
   */
  flops?(inShapes: readonly (readonly number[])[], outShape: readonly number[], attrs: Attrs): number;
}

export interface Algebra {
  /** x ∘ e = x (right) or e ∘ x = x (left) for a constant e. */
  readonly identity?: { readonly left?: number; readonly right?: number };
  /** f(x, x) = this constant (x − x = 0). */
  readonly sameOperands?: number;
  /** f(f(x)) = x. */
  readonly involution?: boolean;
  /** f(x) = −x (lets `even` functions drop it). */
  readonly negation?: boolean;
  /** f(−x) = f(x) (abs). */
  readonly even?: boolean;
  /** f(f(x, inner), outer) = f(x, collapse(inner, outer)). */
  readonly collapse?: (inner: Attrs, outer: Attrs) => Attrs;
  /** Evaluates as the identity (stop_gradient): once gradients are built, f(x) can be replaced by x. */
  readonly identity_eval?: boolean;
  /** Given which inputs are scalar constants (their values), the input f reduces to, if any (where(true, a, b) = a). */
  readonly pick?: (constants: readonly (number | undefined)[]) => number | undefined;
  /** Where each input lands in the output (pad, concat); the rest is the `pieces` emit's fill. */
  readonly regions?: (inTypes: readonly TensorType[], attrs: Attrs) => readonly (readonly Dim[])[];
  /** The first index of the input this op reads (a slice's window; its shape is the output's). */
  readonly window?: (inType: TensorType, attrs: Attrs) => readonly Dim[];
  /** The attributes that apply this op to every entry of a stack (a new leading axis): transpose's perm shifted. */
  readonly stacked?: (attrs: Attrs) => Attrs;
  /** f(x, attrs) = x when this holds for the input type. */
  readonly noop?: (input: TensorType, attrs: Attrs) => boolean;
  // ---- numerically stable forms, applied before differentiation (passes/stabilize.ts) ----
  /** A rewrite of this node into a stabler equivalent (it may ask its operands for their forms below). */
  readonly stabilize?: (r: Rewriter, n: NodeView) => Value | undefined;
  /** exp(f(x…)) without forming f: exp(log y) = y for positive y. */
  readonly expOf?: (r: Rewriter, inputs: readonly Value[]) => Value | undefined;
  /** log(f(x…)) written without forming f first, e.g. log(σ(z)) = −softplus(−z). */
  readonly logOf?: (r: Rewriter, inputs: readonly Value[]) => Value | undefined;
  /** 1 − f(x…) written without cancellation, e.g. 1 − σ(z) = σ(−z). */
  readonly complementOf?: (r: Rewriter, inputs: readonly Value[]) => Value | undefined;
  /**
   * Σₜ f(aₜ, bₜ) over the leading axis of stacked operands, as one computation (autodiff/scan.ts uses it
   * for a loop's weight gradient: Σₜ hₜᵀ·dzₜ is one matmul over all steps). Undefined if f cannot.
   */
  readonly stackSum?: (b: GradBuilder, stacked: readonly Value[]) => Value | undefined;
  /** Whether f(x…) > 0 everywhere, given which inputs are known positive. */
  readonly positive?: (inputsPositive: readonly boolean[]) => boolean;
  /**
   * Row independence along an axis of the result (ops/rows.ts; elementwise ops have a default): how one
   * row of the result is computed from one row of each input, or undefined when rows mix.
   */
  readonly rows?: (n: NodeView, axis: number) => RowRule | undefined;
}

/**
 * Row i of a result along an axis = the same op, with `attrs`, applied to row i of each input along
 * `row`, or to the whole input (the same for every row; `drop`: a size-1 axis removed first).
 */
export type RowInput = { readonly row: number } | { readonly whole: true; readonly drop?: number };
export interface RowRule {
  readonly inputs: readonly RowInput[];
  readonly attrs: Attrs;
}

/** What a stabilizing rewrite may ask about values and build (passes/stabilize.ts implements it). */
export interface Rewriter extends GradBuilder {
  /** The value of a scalar constant (seen through broadcasts and reshapes), if it is one. */
  constant(v: Value): number | undefined;
  /** Whether v > 0 everywhere, as far as the ops' `positive` facts tell. */
  positive(v: Value): boolean;
  /** log(v) in a stable form offered by v's op (logOf), if it has one. */
  stableLog(v: Value): Value | undefined;
  /** 1 − v in a stable form offered by v's op (complementOf), if it has one. */
  stableComplement(v: Value): Value | undefined;
  /** exp(v) in a simpler form offered by v's op (expOf), if it has one. */
  stableExp(v: Value): Value | undefined;
}
