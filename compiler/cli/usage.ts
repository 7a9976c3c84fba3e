// The command line's surface: the version, the help text (every command and flag, which
// cli/flags.ts reads to check and suggest flags per command) and node:util's flag table.
import { parseArgs } from 'node:util';
import { checkFlags } from './flags.js';

export const VERSION = '0.1.0';

export const HELP = `dlm ${VERSION} — a compiler for deep-learning models

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
  --backend wasm|native|js|auto   what compiled steps run as: wasm (default: the whole step as one WebAssembly
                        module), native (C compiled by the system's cc, loaded with koffi), js, or auto
                        (native when cc and koffi work, else wasm; says which on stderr)
  --import-path DIR     another directory imports may read from (repeatable; DLM_PATH adds more)
  limits (a program over one gets a diagnostic, E06xx): --max-nodes N (200000 IR nodes per model)
      --max-call-depth N (128)  --max-import-depth N (64)  --max-nesting N (256)
      --max-source-size SIZE (1M)  --max-memory SIZE (half of this machine's memory), e.g. 512M or 8G
`;

export const OPTIONS = {
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
export const parseFlags = (argv: readonly string[]) => {
  try {
    return parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    const cmd = argv.find((a) => !a.startsWith('-'));
    if (cmd) checkFlags(argv, cmd, OPTIONS, HELP);
    throw e;
  }
};
