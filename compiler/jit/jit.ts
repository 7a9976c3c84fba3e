// The JIT's entry: specializing a program to concrete dims is the pipeline's last phases (plan fusion
// → schedule → plan memory → emit → load, compiler/pipeline.ts, cached there per shape signature,
// precision and backend); binding the dims from the actual inputs is jit/bind.ts.
export { specialize, emitSource, type Specialized } from '../pipeline.js';
export { bindInputs, locate, type ShapedInput } from './bind.js';
