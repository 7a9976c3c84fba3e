// `dlm convert FILE.dlm --from torch --checkpoint STATE.safetensors -o CKPT.safetensors`: a PyTorch
// state_dict (saved as safetensors) → a dlm checkpoint of the model; `--to torch` the other way.
// The layouts are compiler/api/convert.ts's; checkpoints are read and written by checkpoints.ts.
import { existsSync } from 'node:fs';
import { loadSafetensors, saveSafetensors } from '../../runtime/checkpoint.js';
import { fromTorchStateDict, toTorchStateDict } from '../api/convert.js';
import type { Model } from '../api/model.js';
import { loadParams, saveCheckpoint } from './checkpoints.js';
import { UsageError, type Out } from './io.js';

export interface ConvertFlags {
  readonly from?: string;
  readonly to?: string;
  readonly checkpoint?: string;
  readonly out?: string;
  readonly suffix?: string;
}

export const convertCommand = (out: Out, model: Model, f: ConvertFlags): void => {
  const dir = f.from ?? f.to;
  if ((f.from === undefined) === (f.to === undefined)) throw new UsageError('convert needs exactly one of --from torch or --to torch');
  if (dir !== 'torch') throw new UsageError(`convert knows PyTorch's layout only: --${f.from !== undefined ? 'from' : 'to'} torch, got '${dir}'`);
  if (!f.checkpoint) throw new UsageError(`convert needs --checkpoint FILE.safetensors (${f.from ? 'the torch state_dict' : 'the dlm checkpoint'})`);
  if (!f.out) throw new UsageError('convert needs -o FILE.safetensors');
  if (!existsSync(f.checkpoint)) throw new UsageError(`checkpoint not found: ${f.checkpoint}`);
  if (f.suffix !== undefined && !['_l0', 'none'].includes(f.suffix))
    throw new UsageError(`--suffix is _l0 (nn.LSTM/GRU/RNN) or none (nn.LSTMCell/…), got '${f.suffix}'`);
  if (f.from) {
    const values = fromTorchStateDict(model, loadSafetensors(f.checkpoint).tensors);
    for (const [k, v] of Object.entries(values)) (Object.hasOwn(model.params, k) ? model.params : model.states)[k]!.set(v);
    saveCheckpoint(model, undefined, f.out, { info: { converted_from: 'torch' } });
    out.err(`${f.out}: ${Object.keys(values).length} tensors of ${model.name} from the PyTorch state_dict ${f.checkpoint}`);
    return;
  }
  loadParams(model, f.checkpoint);
  const sd = toTorchStateDict(model, { suffix: f.suffix === 'none' ? '' : '_l0' });
  saveSafetensors(f.out, sd);
  out.err(`${f.out}: ${Object.keys(sd).length} tensors in PyTorch's layout (load with safetensors.torch.load_file, then load_state_dict)`);
};
