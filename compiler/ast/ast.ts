// AST of .dlm source: readonly, `kind`-tagged unions, every node with the span it was parsed from.
// Built only by parse/toAst.ts; checked and lowered by check/.
import type { Span } from '../diagnostics/span.js';

export interface Ident {
  readonly name: string;
  readonly span: Span;
}

// ---- types ---------------------------------------------------------------------------------------
export type DimExpr =
  | { readonly kind: 'DimNum'; readonly value: number; readonly span: Span }
  | { readonly kind: 'DimName'; readonly name: string; readonly span: Span }
  | { readonly kind: 'DimBin'; readonly op: '+' | '-' | '*' | '/'; readonly left: DimExpr; readonly right: DimExpr; readonly span: Span };

/** `f32[B, 784]`; `dims` is empty for a scalar `f32`. */
export interface TypeAnn {
  readonly kind: 'TypeAnn';
  readonly dtype: 'f32' | 'i32' | 'bool';
  readonly dims: readonly DimExpr[];
  /** `f32[..., C]`: a `...` standing for any number of dims sits before dims[at] (contracts of function parameters). */
  readonly rest?: { readonly at: number; readonly span: Span };
  readonly span: Span;
}

// ---- expressions ---------------------------------------------------------------------------------
export type BinaryOp = '+' | '-' | '*' | '/' | '@' | '**' | '==' | '!=' | '<' | '<=' | '>' | '>=';

export interface Arg {
  readonly name?: Ident;
  readonly value: Expr;
  readonly span: Span;
}

export type IndexItem =
  | { readonly kind: 'Slice'; readonly start?: Expr; readonly end?: Expr; readonly step?: Expr; readonly span: Span }
  | { readonly kind: 'At'; readonly value: Expr; readonly span: Span };

export interface LetStmt {
  readonly kind: 'Let';
  readonly name: Ident;
  readonly value: Expr;
  readonly span: Span;
}
/** `update running_mean = …` inside a function body: the new value of a `state`, applied by the training step. */
export interface UpdateStmt {
  readonly kind: 'Update';
  readonly name: Ident;
  readonly value: Expr;
  readonly span: Span;
}

export type Expr =
  | { readonly kind: 'Num'; readonly value: number; readonly text: string; readonly span: Span }
  | { readonly kind: 'Bool'; readonly value: boolean; readonly span: Span }
  /** A string literal (einsum's spec); its text never reaches generated code. */
  | { readonly kind: 'Str'; readonly value: string; readonly span: Span }
  | { readonly kind: 'Name'; readonly name: string; readonly span: Span }
  | { readonly kind: 'Member'; readonly object: Expr; readonly name: Ident; readonly span: Span }
  | { readonly kind: 'Call'; readonly callee: Expr; readonly args: readonly Arg[]; readonly span: Span }
  | { readonly kind: 'Binary'; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr; readonly span: Span }
  | { readonly kind: 'Unary'; readonly op: '-'; readonly operand: Expr; readonly span: Span }
  | { readonly kind: 'Index'; readonly object: Expr; readonly indices: readonly IndexItem[]; readonly span: Span }
  | { readonly kind: 'List'; readonly items: readonly Expr[]; readonly span: Span }
  | { readonly kind: 'Block'; readonly lets: readonly (LetStmt | UpdateStmt)[]; readonly result: Expr; readonly span: Span };

// ---- declarations --------------------------------------------------------------------------------
export interface Param {
  readonly name: Ident;
  readonly type?: TypeAnn;
  readonly default?: Expr;
  readonly span: Span;
}

export interface FnDecl {
  readonly kind: 'Fn';
  readonly name: Ident;
  readonly params: readonly Param[];
  readonly ret?: TypeAnn;
  readonly body: Expr;
  /** `grad (x, dy) = …`: the function's own vector–Jacobian product (one name per argument, then the cotangent). */
  readonly grad?: GradRule;
  readonly span: Span;
}

export interface GradRule {
  readonly params: readonly Ident[];
  readonly body: Expr;
  readonly span: Span;
}

/** `param W: f32[in, out] = glorot_uniform` — a trainable tensor and its initializer. */
export interface ParamDecl {
  readonly kind: 'Param';
  readonly name: Ident;
  readonly type: TypeAnn;
  readonly init: Expr;
  readonly span: Span;
}
/** `state mean: f32[c] = zeros` — a tensor the training step updates but never differentiates (batch-norm statistics). */
export interface StateDecl {
  readonly kind: 'State';
  readonly name: Ident;
  readonly type: TypeAnn;
  readonly init: Expr;
  readonly span: Span;
}
/** `layer l1 = nn.Dense(784, 16)` — an instance of a layer with static arguments. */
export interface SubLayerDecl {
  readonly kind: 'SubLayer';
  readonly name: Ident;
  readonly ctor: Expr;
  readonly span: Span;
}
/** `input x: f32[B, 784]` or `target y: i32[B]`. */
export interface InputDecl {
  readonly kind: 'Input';
  readonly role: 'input' | 'target';
  readonly name: Ident;
  readonly type: TypeAnn;
  readonly span: Span;
}
export interface OutputDecl {
  readonly kind: 'Output';
  readonly name: Ident;
  readonly value: Expr;
  readonly span: Span;
}
/**
 * `loss nn.mse(y, t)`, or with several parameter groups (GANs): `loss d_loss = … trains disc` — a named
 * loss that updates only the parameters of the listed layers (or parameters), with its own optimizer state,
 * and optionally its own optimizer: `… trains gen with adam(lr = 2e-4)`.
 */
export interface LossDecl {
  readonly kind: 'Loss';
  readonly name?: Ident;
  readonly value: Expr;
  readonly trains?: readonly Expr[];
  readonly optimizer?: Expr;
  readonly optimizerGroups?: readonly OptimizerGroup[];
  readonly span: Span;
}
/** `optimizer adam(lr = 1e-3)` — the default optimizer for `dlm train`. */
export interface OptimizerDecl {
  readonly kind: 'Optimizer';
  readonly value: Expr;
  readonly groups?: readonly OptimizerGroup[];
  readonly span: Span;
}
/** `group(biases, enc, weight_decay = 0)`: parameters selected by the positional arguments take these settings. */
export interface OptimizerGroup {
  readonly args: readonly Arg[];
  readonly span: Span;
}

/** `train { epochs = 10  batch = 32  schedule = cosine }` — defaults for `dlm train`. */
export interface TrainDecl {
  readonly kind: 'Train';
  readonly settings: readonly { readonly name: Ident; readonly value: Expr; readonly span: Span }[];
  readonly span: Span;
}

export type LayerMember = ParamDecl | StateDecl | SubLayerDecl | FnDecl | LetStmt;
export type ModelMember = InputDecl | ParamDecl | StateDecl | SubLayerDecl | LetStmt | OutputDecl | LossDecl | OptimizerDecl | TrainDecl | FnDecl;

/** `layer Dense(in, out) { param …; fn forward(x) = … }` — a parameterized building block. */
export interface LayerDecl {
  readonly kind: 'Layer';
  readonly name: Ident;
  readonly params: readonly Param[];
  readonly members: readonly LayerMember[];
  readonly span: Span;
}

export interface ModelDecl {
  readonly kind: 'Model';
  readonly name: Ident;
  readonly members: readonly ModelMember[];
  readonly span: Span;
}

/** `import nn` (stdlib) or `import "./blocks.dlm" as blocks` (a user file). */
export interface ImportDecl {
  readonly kind: 'Import';
  readonly module: string;
  readonly isPath: boolean;
  readonly alias: Ident;
  readonly span: Span;
}

export type Item = ImportDecl | FnDecl | LayerDecl | ModelDecl;

export interface Module {
  readonly kind: 'Module';
  readonly file: string;
  readonly items: readonly Item[];
  readonly span: Span;
}
