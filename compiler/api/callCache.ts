// What Model.run works out on the first call of a program at some input shapes, kept for the calls
// after it: binding the symbolic dims, finding the specialized program (passes, schedule, module) and
// gathering its inputs from the caller's record, the parameters, the states and the run-time scalars
// cost microseconds a call, as much as a batch-1 forward pass itself. A later call with the same
// precision and the same shapes of the caller's inputs binds the same dims, so it reuses the program
// and only checks that every array still has the length its shape needs (else the slow path reports
// E0403 as before). Parameters and states are looked up by name at every call: a Trainer may move
// them into its own memory, and setParam writes them in place.
import type { Precision } from '../../runtime/compiled.js';
import type { Tensor, TensorData } from '../../runtime/tensor.js';
import { RANDOM_KEY, TRAINING_FLAG } from '../check/hypers.js';
import { inputName, inputNodes, inputRole, type IrFunction } from '../ir/ir.js';
import type { Specialized } from '../pipeline.js';

/** Where one input of the program comes from: the caller's record, a parameter, a state, or the key or training scalar. */
type From = 'caller' | 'param' | 'state' | 'key' | 'training';

interface Feed {
  readonly from: From;
  readonly name: string;
  /** Its element count at this signature. */
  readonly size: number;
}

export class Call {
  /** The run-time scalars, rewritten at every call (the module copies them in before it returns). */
  private readonly key = new Float32Array(1);
  private readonly training = new Float32Array(1);
  private readonly ins: TensorData[];

  constructor(
    readonly spec: Specialized,
    private readonly feeds: readonly Feed[],
  ) {
    this.ins = feeds.map(() => this.key);
  }

  /** The program's inputs for this call, or undefined when an array's length does not fit (the slow path then says why). */
  gather(
    inputs: Readonly<Record<string, Tensor>>,
    params: Readonly<Record<string, Float32Array>>,
    states: Readonly<Record<string, Float32Array>>,
    key: number,
    training: number,
  ): readonly TensorData[] | undefined {
    this.key[0] = key;
    this.training[0] = training;
    const { feeds, ins } = this;
    for (let i = 0; i < feeds.length; i++) {
      const f = feeds[i]!;
      const data =
        f.from === 'caller'
          ? inputs[f.name]!.data
          : f.from === 'param'
            ? params[f.name]
            : f.from === 'state'
              ? states[f.name]
              : f.from === 'key'
                ? this.key
                : this.training;
      if (data === undefined || data.length !== f.size) return undefined;
      ins[i] = data;
    }
    return ins;
  }

  /** Drops the caller's arrays once the module has copied them in (a kept call must not hold a batch alive). */
  release(): void {
    for (let i = 0; i < this.ins.length; i++) if (this.feeds[i]!.from === 'caller') this.ins[i] = this.key;
  }
}

export class CallCache {
  private readonly byFn = new WeakMap<IrFunction, { readonly callers: readonly string[]; readonly calls: Map<string, Call> }>();

  /** `names()`: the model's parameter and state names (read when a call is first kept). */
  constructor(private readonly names: () => { readonly params: ReadonlySet<string>; readonly states: ReadonlySet<string> }) {}

  private entry(f: IrFunction) {
    let e = this.byFn.get(f);
    if (!e) {
      const callers = inputNodes(f)
        .filter((n) => inputRole(n) === 'input' || inputRole(n) === 'target')
        .map(inputName);
      e = { callers, calls: new Map() };
      this.byFn.set(f, e);
    }
    return e;
  }

  /**
   * The call's signature: the precision and the shape of each input of `f` the caller gives, or
   * undefined when one is missing or is not an own property (the slow path then reports it).
   */
  signature(f: IrFunction, inputs: Readonly<Record<string, Tensor>>, precision: Precision): string | undefined {
    let sig = precision;
    for (const name of this.entry(f).callers) {
      if (!Object.hasOwn(inputs, name)) return undefined;
      const shape = inputs[name]!.shape;
      if (!Array.isArray(shape)) return undefined;
      sig += `|${shape.join(',')}`;
    }
    return sig;
  }

  get(f: IrFunction, sig: string | undefined): Call | undefined {
    return sig === undefined ? undefined : this.byFn.get(f)?.calls.get(sig);
  }

  /** Keeps a call that bound and ran: `ins` are the arrays the slow path gathered, in the program's order. */
  set(f: IrFunction, sig: string | undefined, spec: Specialized, ins: readonly TensorData[]): void {
    if (sig === undefined) return;
    const { params, states } = this.names();
    const callers = new Set(this.entry(f).callers);
    const feeds = spec.schedule.inputs.map((s, i): Feed => {
      // the slow path's precedence: parameters and states over the run-time scalars over the caller's record
      const from: From = params.has(s.name)
        ? 'param'
        : states.has(s.name)
          ? 'state'
          : s.name === RANDOM_KEY
            ? 'key'
            : s.name === TRAINING_FLAG
              ? 'training'
              : 'caller';
      return { from, name: s.name, size: ins[i]!.length };
    });
    // an input the signature does not cover (none today) would not be checked at later calls: keep nothing
    if (feeds.some((x) => x.from === 'caller' && !callers.has(x.name))) return;
    this.entry(f).calls.set(sig, new Call(spec, feeds));
  }
}
