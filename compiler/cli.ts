// The `dlm` command: parses flags, runs one command, prints diagnostics, and maps outcomes to exit codes
// (0 ok, 1 errors in the user's program or data, 2 bad usage, 3 a bug in dlm). Never shows a stack
// trace for a user mistake.
import * as E from 'fp-ts/lib/Either.js';
import { existsSync } from 'node:fs';
import { delimiter } from 'node:path';
import { parseArgs } from 'node:util';
import { checkFlags, commandHelp, commandNames, suffix } from './cli/flags.js';
import { startLanguageServer } from './lsp/server.js';
import { didYouMeanText } from './diagnostics/suggest.js';
import { DataError } from '../runtime/data/errors.js';
import { RunError } from './api/errors.js';
import { gradcheck } from './api/gradcheck.js';
import type { Model } from './api/model.js';
import { checkPassNames, compileCommand, printShapes } from './cli/inspect.js';
import { layerSummary } from './cli/summary.js';
import { EXIT, UsageError, consoleOut, printDiagnostics, readTensorFile, tensorsToJson, writeAtomic, type Out } from './cli/io.js';
import { evalCommand, trainCommand, type TrainSettings } from './cli/train.js';
import { sampleCommand } from './cli/sample.js';
import { neighboursCommand } from './cli/neighbours.js';
import { exportCommand } from './cli/export.js';
import { moduleCommand } from './cli/module.js';
import { predict } from './cli/predict.js';
import { DiagnosticError } from './diagnostics/diagnostic.js';
import { error, note } from './diagnostics/codes.js';
import { compileFile, type Program } from './index.js';
import { parse } from './parse/parse.js';
import { setOwn, type Tensor } from '../runtime/tensor.js';
import { fileLoader, readSourceFile, type Loader } from './parse/modules.js';
import { limitsOf, parseSize, type Limits } from './check/limits.js';
import type { ConvLowering } from './check/options.js';
import { BACKENDS, isBackend, setBackendNotes } from './pipeline.js';
import { convertCommand } from './cli/convert.js';

export const VERSION = '0.1.0';

const HELP = `dlm ${VERSION} — a compiler for deep-learning models

usage: dlm <command> FILE.dlm [options]

commands:
  check FILE            type- and shape-check; exit 1 on errors
      --shapes          print the inferred type of every input, let and output
  compile FILE          show the compiler's work
      --emit ast|ir|js|c  what to print (default js; c: the native backend's C source)
      --emit module     a standalone ES module (predict, with --train also step) and its .d.ts; -o model.mjs
                        --dim B=1,32 compiles each size; --checkpoint C embeds trained weights
      --grad            the gradient program (loss and d loss / d parameter)
      --train           the whole training step (forward, backward, optimizer update)
      --optimized       for --emit ir: after the optimization passes
      --dim NAME=N      size of a symbolic dim for --emit js (default 1)
      --no-pass NAME    skip an optimization pass (repeatable)
      --stats           kernels, loops and arena bytes (stderr)
      --timings         time of each pass and of each code generation phase (stderr)
      -o, --out FILE    write to FILE instead of stdout
  run FILE              run the forward pass
      --input NAME=FILE.json|FILE.npy   (repeatable)
      --checkpoint FILE.safetensors     trained parameters (default: seeded initialization)
      --train-mode      run as in training (batch statistics, dropout with the seed's mask);
                        default --eval-mode
      -o, --out FILE    write outputs as JSON
  train FILE            train the model (default data: the bundled MNIST digits); settings default to
                        the model's train { … } block, and these flags override it
      --data mnist|FILE|DIR (csv tsv json jsonl npy npz IDX txt, image class folders; see README "Data")
      --val-data FILE  --test-data FILE (scored whole)  --normalize standard|minmax|none
      --label-column NAME[,NAME]  --features NAME,…  --header yes|no|auto  --drop-missing
      --resize  --grayscale (image folders)  --augment flip,crop:PIXELS,noise:STD (images, seeded)
      --epochs N (10)  --batch N (32)  --lr X  --optimizer NAME
      --schedule constant|step|exponential|cosine  --warmup STEPS  --clip-norm X  --clip-value X
      --early-stopping EPOCHS  --augment-shift PIXELS (= --augment crop:PIXELS)
      --val-fraction F (0.1)  --limit N  --seed N (0)
      --out FILE.safetensors (checkpoints/MODEL.safetensors, with .log.jsonl and .curves.svg beside it)
      --resume FILE (continue the run: same settings, epoch, step, schedule, data order; --epochs N in total)
      --init-from FILE (copy the parameters it shares, e.g. after pretraining)
      --save-every N|Nepochs|Nsteps (default every epoch)  --keep K (also keep the K most recent as MODEL.stepT.safetensors)
      --log FILE.jsonl  --classes N (class labels must be below N when the model does not say)
      Ctrl-C / SIGTERM finish the step, save a checkpoint and exit 130 / 143; MODEL.best.safetensors keeps the
      lowest validation loss
      progress columns: loss and acc are running means over the epoch so far; val_loss and val_acc are
      on the validation split after the epoch (mae, val_mae and val_r2 instead for float targets); a
      scalar output (e.g. kl) is its running mean; grad_norm is the mean global gradient norm before
      clipping and clipped the share of steps --clip-norm clipped
  eval FILE --checkpoint FILE.safetensors [--data FILE]   loss and metric (accuracy, or MAE and R²)
                        of a whole --data file, else of the training run's held-out data
  predict FILE --checkpoint FILE --input NAME=FILE   outputs of a trained model (like run, --train-mode)
  sample FILE [--checkpoint FILE] [--output NAME] [--n 64] [-o grid.png] [--temperature 1]
                        write an output as a PNG grid of images (generated samples, or reconstructions
                        of held-out digits when the output reads the input); for a character-level
                        language model, n generated words (--temperature τ scales the logits by 1/τ)
  neighbours FILE --checkpoint FILE [--output NAME] [--probe a,e,i] [--n 5]
                        the n nearest rows (cosine) to each probe token in an embedding table [V, D]
                        the model outputs (letters for models trained on the words data)
  gradcheck FILE        compare the symbolic gradient with finite differences, each loss against the
                        parameters it trains, and the compiled float32 gradient; exit 1 on mismatch
      --seed N  --dim NAME=N
      --train-mode      (default) as a training step differentiates: batch norm with the batch's
                        statistics, dropout with one fixed mask
      --eval-mode       as evaluation runs: running statistics, no dropout
  summary FILE          per layer: type, output shape, parameters, non-trainable state; totals and memory
      --dim NAME=N      bind a symbolic dim (e.g. --dim B=32) for output shapes and the forward arena
  lsp                   a language server over stdio for editors: diagnostics as you type, the inferred
                        type and shape of any expression on hover, go to definition, completion
  export FILE           write the model for another engine
      --format onnx|torch   onnx: an ONNX model (opset 18) of the inference program; torch: a Python
                        file with an nn.Module, its loss and optimizer (default from -o's extension)
      --checkpoint FILE.safetensors   trained weights (default: seeded initialization)
      --output NAME     export only this output (default: all)
      -o, --out FILE    where to write (default MODEL.onnx or MODEL.py)
  convert FILE          move weights between a PyTorch state_dict (saved as safetensors) and the model
      --from torch --checkpoint STATE.safetensors -o CKPT.safetensors   torch's tensors → a dlm checkpoint
      --to torch --checkpoint CKPT.safetensors -o STATE.safetensors     a dlm checkpoint → torch's names and layout
      --suffix _l0|none   recurrent tensor names written by --to torch: weight_ih_l0 (nn.LSTM, default) or weight_ih (nn.LSTMCell)

common options: --model NAME (which model in the file), --seed N, -h/--help, -v/--version
  --backend wasm|native|js|auto   what compiled steps run as: wasm (default: JavaScript loops with WebAssembly
                        SIMD matmuls), native (C compiled by the system's cc, loaded with koffi), js, or auto
                        (native when cc and koffi work, else wasm; says which on stderr)
  --import-path DIR     another directory imports may read from (repeatable; DLM_PATH adds more)
  limits (a program over one gets a diagnostic, E06xx): --max-nodes N (200000 IR nodes per model)
      --max-call-depth N (128)  --max-import-depth N (64)  --max-nesting N (256)
      --max-source-size SIZE (1M)  --max-memory SIZE (half of this machine's memory), e.g. 512M or 8G
`;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  shapes: { type: 'boolean' },
  emit: { type: 'string' },
  grad: { type: 'boolean' },
  train: { type: 'boolean' },
  optimized: { type: 'boolean' },
  dim: { type: 'string', multiple: true },
  'no-pass': { type: 'string', multiple: true },
  backend: { type: 'string' },
  stats: { type: 'boolean' },
  timings: { type: 'boolean' },
  out: { type: 'string', short: 'o' },
  input: { type: 'string', multiple: true },
  params: { type: 'string' },
  model: { type: 'string' },
  data: { type: 'string' },
  epochs: { type: 'string' },
  batch: { type: 'string' },
  lr: { type: 'string' },
  optimizer: { type: 'string' },
  schedule: { type: 'string' },
  warmup: { type: 'string' },
  'clip-norm': { type: 'string' },
  'clip-value': { type: 'string' },
  'val-fraction': { type: 'string' },
  limit: { type: 'string' },
  seed: { type: 'string' },
  resume: { type: 'string' },
  log: { type: 'string' },
  'label-column': { type: 'string' },
  classes: { type: 'string' },
  checkpoint: { type: 'string' },
  'early-stopping': { type: 'string' },
  'init-from': { type: 'string' },
  'augment-shift': { type: 'string' },
  'save-every': { type: 'string' },
  keep: { type: 'string' },
  output: { type: 'string' },
  n: { type: 'string' },
  temperature: { type: 'string' },
  probe: { type: 'string' },
  format: { type: 'string' },
  'train-mode': { type: 'boolean' },
  'eval-mode': { type: 'boolean' },
  'import-path': { type: 'string', multiple: true },
  'max-nodes': { type: 'string' },
  'max-call-depth': { type: 'string' },
  'max-import-depth': { type: 'string' },
  'max-nesting': { type: 'string' },
  'max-source-size': { type: 'string' },
  'max-memory': { type: 'string' },
  'val-data': { type: 'string' },
  'test-data': { type: 'string' },
  features: { type: 'string' },
  header: { type: 'string' },
  'drop-missing': { type: 'boolean' },
  normalize: { type: 'string' },
  resize: { type: 'boolean' },
  grayscale: { type: 'boolean' },
  augment: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  suffix: { type: 'string' },
} as const;

/** Node's parser, with its messages for unknown flags replaced by ours (which suggest the right one). */
const parseFlags = (argv: readonly string[]) => {
  try {
    return parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    const cmd = argv.find((a) => !a.startsWith('-'));
    if (cmd) checkFlags(argv, cmd, OPTIONS, HELP);
    throw e;
  }
};

/** --train-mode / --eval-mode (PyTorch's model.train() / model.eval()); `fallback` when neither is given. */
const trainingMode = (o: { 'train-mode'?: boolean; 'eval-mode'?: boolean }, fallback: boolean): boolean => {
  if (o['train-mode'] && o['eval-mode']) throw new UsageError('--train-mode and --eval-mode exclude each other');
  return o['train-mode'] ? true : o['eval-mode'] ? false : fallback;
};

const num = (v: string | undefined, flag: string, int = false): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || (int && !Number.isInteger(n))) throw new UsageError(`--${flag} expects ${int ? 'an integer' : 'a number'}, got '${v}'`);
  return n;
};

const load = (out: Out, file: string, source: SourceOptions): Program | undefined => {
  if (!existsSync(file)) throw new UsageError(`no such file: ${file}`);
  const r = compileFile(file, source);
  if (E.isLeft(r)) {
    printDiagnostics(out, r.left);
    return undefined;
  }
  return r.right;
};

export const main = async (argv: readonly string[], out: Out = consoleOut()): Promise<number> => {
  try {
    const { values: o, positionals } = parseFlags(argv);
    if (o.version) {
      out.log(VERSION);
      return EXIT.ok;
    }
    const [cmd, file, ...rest] = positionals;
    if (cmd === 'help') {
      out.log(file ? commandHelp(HELP, file) : HELP);
      return EXIT.ok;
    }
    if (cmd && !commandNames(HELP).includes(cmd)) {
      throw new UsageError(`unknown command '${cmd}'${suffix(didYouMeanText(cmd, commandNames(HELP), "'"))}`);
    }
    if (o.help || !cmd) {
      out.log(cmd ? commandHelp(HELP, cmd) : HELP);
      return cmd || o.help ? EXIT.ok : EXIT.usage;
    }
    checkFlags(argv, cmd, OPTIONS, HELP);
    if (cmd === 'lsp') {
      startLanguageServer();
      return EXIT.ok;
    }
    if (o.help || !cmd) {
      out.log(HELP);
      return cmd || o.help ? EXIT.ok : EXIT.usage;
    }
    if (!['check', 'compile', 'run', 'predict', 'eval', 'sample', 'neighbours', 'train', 'gradcheck', 'summary', 'export', 'convert'].includes(cmd))
      throw new UsageError(`unknown command '${cmd}'`);
    if (!file) throw new UsageError(`${cmd} needs a .dlm file`);
    if (rest.length) throw new UsageError(`unexpected argument '${rest[0]}'`);
    const seed = num(o.seed, 'seed', true) ?? 0;
    const source = sourceOptions(o);
    if (cmd === 'compile' && o.emit === 'ast') {
      if (!existsSync(file)) throw new UsageError(`no such file: ${file}`);
      const text = readSourceFile(file, source.limits.maxSourceBytes);
      if ('error' in text) {
        printDiagnostics(out, [error('E0601', null, text.error)]);
        return EXIT.userError;
      }
      const r = parse(text, source.limits.maxNesting);
      if (E.isLeft(r)) {
        printDiagnostics(out, r.left);
        return EXIT.userError;
      }
      emitText(
        out,
        JSON.stringify(r.right, (k, v) => (k === 'span' ? undefined : v), 1),
        o.out,
      );
      return EXIT.ok;
    }
    const program = load(out, file, source);
    if (!program) return EXIT.userError;
    if (cmd === 'check') {
      if (o.shapes) printShapes(out, program);
      out.err(`${file}: ok (${program.modelNames.length} model${program.modelNames.length === 1 ? '' : 's'}: ${program.modelNames.join(', ')})`);
      return EXIT.ok;
    }
    const backend = o.backend === undefined ? undefined : o.backend;
    if (backend !== undefined && !isBackend(backend)) throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}, got '${backend}'`);
    setBackendNotes((t) => out.err(t));
    const model: Model = program.model(o.model, {
      seed,
      passes: { disable: checkPassNames(o['no-pass'] ?? []) },
      maxMemory: source.limits.maxMemory,
      ...(backend ? { backend } : {}),
    });
    switch (cmd) {
      case 'summary':
        layerSummary(out, model, o.dim ?? []);
        return EXIT.ok;
      case 'convert':
        convertCommand(out, model, {
          ...(o.from !== undefined ? { from: o.from } : {}),
          ...(o.to !== undefined ? { to: o.to } : {}),
          ...(o.checkpoint ? { checkpoint: o.checkpoint } : {}),
          ...(o.out ? { out: o.out } : {}),
          ...(o.suffix !== undefined ? { suffix: o.suffix } : {}),
        });
        return EXIT.ok;
      case 'compile': {
        if (o.emit === 'module') {
          const text = moduleCommand(out, model, {
            dims: o.dim ?? [],
            train: Boolean(o.train),
            ...(o.checkpoint ? { checkpoint: o.checkpoint } : {}),
            ...(o.out ? { out: o.out } : {}),
          });
          if (text !== undefined) out.log(text);
          return EXIT.ok;
        }
        const text = compileCommand(out, model, {
          emit: o.emit ?? 'js',
          program: o.train ? 'train' : o.grad ? 'grad' : 'forward',
          optimized: Boolean(o.optimized),
          dims: o.dim ?? [],
          stats: Boolean(o.stats),
          timings: Boolean(o.timings),
          disable: o['no-pass'] ?? [],
          ...(backend ? { backend } : {}),
        });
        emitText(out, text, o.out);
        return EXIT.ok;
      }
      case 'run':
      case 'predict': {
        const inputs: Record<string, Tensor> = {};
        for (const spec of o.input ?? []) {
          const m = /^([^=]+)=(.+)$/.exec(spec);
          if (!m) throw new UsageError(`--input expects NAME=FILE, got '${spec}'`);
          setOwn(inputs, m[1]!, readTensorFile(m[2]!));
        }
        const mode = { training: trainingMode(o, false) };
        emitText(out, tensorsToJson(predict(out, model, inputs, o.checkpoint ?? o.params, mode) as Record<string, Tensor>), o.out);
        return EXIT.ok;
      }
      case 'gradcheck': {
        const dims = Object.fromEntries(
          (o.dim ?? []).map((d) => {
            const [k, v] = d.split('=');
            return [k!, num(v, 'dim', true)!];
          }),
        );
        const r = gradcheck(model, { seed, dims, training: trainingMode(o, true) });
        out.log(`${model.name} in ${r.training ? 'training' : 'evaluation'} mode`);
        for (const p of r.params) {
          const kinks = p.nonSmooth ? `; ${p.nonSmooth} non-smooth at this point (a kink within the step), skipped` : '';
          const name = p.loss ? `${p.loss}: ${p.name}` : p.name;
          out.log(
            `${p.ok ? 'ok  ' : 'FAIL'}  ${name.padEnd(24)} worst rel. error ${p.maxRelError.toExponential(2)}` +
              ` (${p.checks} checks${kinks}), f32 vs f64 ${p.f32RelError.toExponential(2)}`,
          );
        }
        for (const q of r.rules) {
          const line =
            `${q.ok ? 'ok  ' : 'FAIL'}  grad rule of ${q.fn.padEnd(12)} worst rel. error ${q.maxRelError.toExponential(2)}` +
            ` against its body (${q.checks} checks${q.nonSmooth ? `; ${q.nonSmooth} non-smooth` : ''})`;
          out.log(line);
          if (!q.ok)
            printDiagnostics(out, [
              error(
                'E0307',
                q.rule,
                `the grad rule of ${q.fn} disagrees with finite differences of its body (relative error ${q.maxRelError.toExponential(2)})`,
                [note('checked at this call', q.call), note('a rule that is deliberately not the derivative (a straight-through estimator) is reported too')],
              ),
            ]);
        }
        const losses = Object.entries(r.losses)
          .map(([k, v]) => `${k} ${v.toPrecision(6)}`)
          .join(', ');
        out.log(r.ok ? `gradcheck passed: ${r.params.length} checks of parameters, ${losses}` : 'gradcheck FAILED');
        return r.ok ? EXIT.ok : EXIT.userError;
      }
      case 'export':
        return exportCommand(out, model, file, { ...o, version: VERSION }) ? EXIT.ok : EXIT.userError;
      case 'train':
        return await trainCommand(out, model, file, trainFlags(o));
      case 'sample':
        sampleCommand(out, model, {
          ...(o.output ? { output: o.output } : {}),
          ...(o.checkpoint ? { checkpoint: o.checkpoint } : {}),
          n: num(o.n, 'n', true) ?? (o.temperature !== undefined ? 10 : 64),
          ...(o.out ? { out: o.out } : {}),
          seed,
          ...(o.temperature !== undefined ? { temperature: num(o.temperature, 'temperature')! } : {}),
        });
        return EXIT.ok;
      case 'neighbours':
        neighboursCommand(out, model, {
          ...(o.checkpoint ? { checkpoint: o.checkpoint } : {}),
          ...(o.output ? { output: o.output } : {}),
          ...(o.probe ? { probe: o.probe } : {}),
          n: num(o.n, 'n', true) ?? 5,
        });
        return EXIT.ok;
      case 'eval': {
        if (!o.checkpoint) throw new UsageError('eval needs --checkpoint FILE.safetensors');
        evalCommand(out, model, { ...trainFlags(o), checkpoint: o.checkpoint });
        return EXIT.ok;
      }
    }
    return EXIT.usage;
  } catch (e) {
    if (e instanceof RunError || e instanceof DiagnosticError) {
      if ('diagnostics' in e && e.diagnostics.length) printDiagnostics(out, e.diagnostics);
      else out.err(`error: ${e.message}`);
      return EXIT.userError;
    }
    if (e instanceof DataError) {
      out.err(`error${e.errorCode ? `[${e.errorCode}]` : ''}: ${e.message}`);
      return EXIT.userError;
    }
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      const msg = (e as Error).message;
      out.err(`error: ${msg}${msg.includes('see dlm help') ? '' : '\n(see dlm --help)'}`);
      return EXIT.usage;
    }
    if ((e as { code?: string }).code === 'ENOENT' || (e as { code?: string }).code === 'EACCES') {
      out.err(`error: ${(e as Error).message}`);
      return EXIT.userError;
    }
    out.err(`internal error in dlm (a bug, please report it): ${(e as Error).message}`);
    if (process.env['DLM_DEBUG']) out.err(String((e as Error).stack));
    return EXIT.internal;
  }
};

/** Only the flags actually given, so the model's train block supplies the rest. */
const trainFlags = (o: Record<string, string | boolean | string[] | undefined>): Partial<TrainSettings> => {
  const str = (k: string) => o[k] as string | undefined;
  return {
    ...opt('data', str('data')),
    ...opt('epochs', num(str('epochs'), 'epochs', true)),
    ...opt('batch', num(str('batch'), 'batch', true)),
    ...opt('seed', num(str('seed'), 'seed', true)),
    ...opt('valFraction', num(str('val-fraction'), 'val-fraction')),
    ...opt('schedule', str('schedule')),
    ...opt('warmup', num(str('warmup'), 'warmup', true)),
    ...opt('lr', num(str('lr'), 'lr')),
    ...opt('optimizer', str('optimizer')),
    ...opt('out', str('out')),
    ...opt('clipNorm', num(str('clip-norm'), 'clip-norm')),
    ...opt('clipValue', num(str('clip-value'), 'clip-value')),
    ...opt('limit', num(str('limit'), 'limit', true)),
    ...opt('log', str('log')),
    ...opt('resume', str('resume')),
    ...opt('initFrom', str('init-from')),
    ...opt('labelColumn', str('label-column')),
    ...opt('classes', num(str('classes'), 'classes', true)),
    ...opt('earlyStopping', num(str('early-stopping'), 'early-stopping', true)),
    ...opt('augmentShift', num(str('augment-shift'), 'augment-shift', true)),
    ...opt('saveEvery', str('save-every')),
    ...opt('keep', num(str('keep'), 'keep', true)),
    ...opt('valData', str('val-data')),
    ...opt('testData', str('test-data')),
    ...opt('features', str('features')),
    ...opt('header', str('header')),
    ...opt('dropMissing', o['drop-missing'] as boolean | undefined),
    ...opt('normalize', str('normalize')),
    ...opt('resize', o['resize'] as boolean | undefined),
    ...opt('grayscale', o['grayscale'] as boolean | undefined),
    ...opt('augment', str('augment')),
  };
};

interface SourceOptions {
  readonly loader: Loader;
  readonly limits: Limits;
  readonly convLowering?: ConvLowering;
}

/** The import search path (--import-path, then DLM_PATH) and the limits the --max-* flags raise or lower. */
const sourceOptions = (o: Record<string, string | boolean | string[] | undefined>): SourceOptions => {
  const str = (k: string) => o[k] as string | undefined;
  const count = (k: string) => {
    const n = num(str(k), k, true);
    if (n !== undefined && n < 1) throw new UsageError(`--${k} expects a positive integer, got '${str(k)}'`);
    return n;
  };
  const size = (k: string) => {
    const v = str(k);
    if (v === undefined) return undefined;
    const n = parseSize(v);
    if (n === undefined) throw new UsageError(`--${k} expects a size such as 512M or 4G, got '${v}'`);
    return n;
  };
  const limits = limitsOf({
    ...opt('maxNodes', count('max-nodes')),
    ...opt('maxCallDepth', count('max-call-depth')),
    ...opt('maxImportDepth', count('max-import-depth')),
    ...opt('maxNesting', count('max-nesting')),
    ...opt('maxSourceBytes', size('max-source-size')),
    ...opt('maxMemory', size('max-memory')),
  });
  const searchPath = [...((o['import-path'] as string[] | undefined) ?? []), ...(process.env['DLM_PATH'] ?? '').split(delimiter).filter(Boolean)];
  // DLM_CONV=direct: convolutions as direct loop nests instead of im2col + matmul (read here, at the edge, only)
  const conv = process.env['DLM_CONV'] === 'direct' ? { convLowering: 'direct' as const } : {};
  return { loader: fileLoader({ searchPath, maxSourceBytes: limits.maxSourceBytes }), limits, ...conv };
};

const opt = <K extends string, V>(k: K, v: V | undefined): { [P in K]?: V } => (v === undefined ? {} : ({ [k]: v } as { [P in K]?: V }));

const emitText = (out: Out, text: string, path: string | undefined): void => {
  if (path) writeAtomic(path, text.endsWith('\n') ? text : text + '\n');
  else out.log(text);
};
