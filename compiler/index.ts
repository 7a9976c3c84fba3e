// dlm's library API. Compile .dlm source (diagnostics as values, or thrown by the *OrThrow variants),
// instantiate a model with seeded parameters, run it, differentiate it and train it.
export { Program, compile, compileFile, compileOrThrow, render, type CompileOptions } from './compile.js';
export { Model } from './api/model.js';
export { optimize } from './pipeline.js';
export { setNativeThreads, setWasmThreads, wasmThreadsReady, disposeWasmThreads } from './pipeline.js';
export { Trainer, type StepResult } from './api/trainer.js';
export { loadModel, loadTrainer, type LoadOptions } from './api/persist.js';
export { fit, fitAsync, evaluate, type FitOptions, type FitResult, type EpochReport } from './api/fit.js';
export { accuracy, confusionMatrix } from './api/metrics.js';
export { RunError } from './api/errors.js';
export { standaloneModule, type StandaloneModule, type StandaloneOptions } from './embed/standalone.js';
export type { Diagnostic, Result } from './diagnostics/diagnostic.js';
export { DiagnosticError } from './diagnostics/diagnostic.js';
export { CODES } from './diagnostics/codes.js';
export { defaultLoader, fileLoader, type Loader, type LoaderOptions } from './parse/modules.js';
export { DEFAULT_LIMITS, MAX_ELEMENTS, type Limits } from './check/limits.js';
export type { ModelIR } from './check/model.js';
export type { IrFunction } from './ir/ir.js';
export { printFunction } from './ir/print.js';
export { OPS } from './ops/registry.js';
export { exportOnnx, type OnnxExportOptions } from './export/onnx/export.js';
export { OPTIMIZERS } from './train/optimizers.js';
export { fromTorchStateDict, loadTorchStateDict, toTorchStateDict } from './api/convert.js';
export type { TrainConfig } from './train/step.js';
export type { Tensor } from '../runtime/tensor.js';
