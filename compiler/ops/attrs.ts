// Attribute types, checked: every op declares the attributes its nodes carry (OpDef.attrs), and the IR
// verifier (ir/verify.ts, after every pass in tests and with --verify) rejects a node whose attributes
// are missing, unknown or of the wrong type — a compiler bug caught where it is made, not in a kernel.
import type { AttrKind, Attrs, AttrValue, OpDef } from './op.js';

const isInt = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v);
const isDim = (v: unknown): boolean => isInt(v) || (typeof v === 'string' && v.length > 0);
const every = (v: AttrValue, p: (x: unknown) => boolean): boolean => Array.isArray(v) && (v as readonly unknown[]).every(p);

const fits = (kind: AttrKind, v: AttrValue): boolean => {
  if (typeof kind !== 'string') return typeof v === 'string' && kind.includes(v);
  switch (kind) {
    case 'int':
      return isInt(v);
    case 'size':
      return isDim(v);
    case 'ints':
      return every(v, isInt);
    case 'dims':
      return every(v, isDim);
    case 'numbers':
      return every(v, (x) => typeof x === 'number' && Number.isFinite(x));
    case 'bool':
      return typeof v === 'boolean';
    case 'dtype':
      return v === 'f32' || v === 'i32' || v === 'bool';
  }
};

const describe = (kind: AttrKind): string => (typeof kind === 'string' ? kind : `one of ${kind.join(', ')}`);

/** What is wrong with a node's attributes for its op `def`, or undefined when they are what it declares. */
export const attrsProblem = (def: OpDef, attrs: Attrs): string | undefined => {
  const schema = def.attrs ?? {};
  for (const key of Object.keys(attrs)) if (!Object.hasOwn(schema, key) && attrs[key] !== undefined) return `${def.name} has no attribute '${key}'`;
  for (const [key, spec] of Object.entries(schema)) {
    const kind = typeof spec === 'object' && !Array.isArray(spec) ? (spec as { kind: AttrKind }).kind : (spec as AttrKind);
    const optional = typeof spec === 'object' && !Array.isArray(spec);
    const v = Object.hasOwn(attrs, key) ? attrs[key] : undefined;
    if (v === undefined) {
      if (!optional) return `${def.name} needs its attribute '${key}' (${describe(kind)})`;
    } else if (!fits(kind, v)) return `${def.name}'s attribute '${key}' is ${JSON.stringify(v)}, not ${describe(kind)}`;
  }
  return undefined;
};
