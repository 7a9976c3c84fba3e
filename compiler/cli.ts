// The `dlm` command: parses flags, runs one command, prints diagnostics, and maps outcomes to exit codes
// (0 ok, 1 errors in the user's program or data, 2 bad usage, 3 a bug in dlm). Never shows a stack
// trace for a user mistake.
import * as E from 'fp-ts/lib/Either.js';
import { existsSync } from 'node:fs';
import { delimiter } from 'node:path';
import { checkFlags, commandHelp, commandNames, suffix } from './cli/flags.js';
import { HELP, OPTIONS, VERSION, parseFlags } from './cli/usage.js';
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
