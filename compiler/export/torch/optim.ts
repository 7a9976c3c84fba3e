// The training half of an exported PyTorch module: each loss's optimizer with the .dlm file's
// hyper-parameters as torch.optim, the train { … } settings, and a train_step that does what dlm's
// Trainer.step does (losses in order, dlm's gradient clipping, the random key of each step).
import type { Model } from '../../api/model.js';
import type { OptimizerSpec } from '../../check/model.js';
import { OPTIMIZERS } from '../../train/optimizers.js';
import { location } from '../prepare.js';
import { pyNumber, selfPath } from './emit.js';

const f = (v: number | undefined): string => pyNumber(v ?? 0, 'f32');

/** torch.optim constructors for dlm's optimizers; `note` says where the two differ. */
const TORCH_OPTIM: Readonly<Record<string, { make: (h: Readonly<Record<string, number>>) => string; note?: string }>> = {
  sgd: {
    make: (h) =>
      `torch.optim.SGD(params, lr=${f(h['lr'])}, momentum=${f(h['momentum'])}, nesterov=${h['nesterov'] ? 'True' : 'False'}` +
      `, weight_decay=${f(h['weight_decay'])})`,
  },
  adam: {
    make: (h) =>
      `torch.optim.Adam(params, lr=${f(h['lr'])}, betas=(${f(h['beta1'])}, ${f(h['beta2'])}), eps=${f(h['eps'])}, weight_decay=${f(h['weight_decay'])})`,
  },
  adamw: {
    make: (h) =>
      `torch.optim.AdamW(params, lr=${f(h['lr'])}, betas=(${f(h['beta1'])}, ${f(h['beta2'])}), eps=${f(h['eps'])}, weight_decay=${f(h['weight_decay'])})`,
  },
  adadelta: { make: (h) => `torch.optim.Adadelta(params, lr=${f(h['lr'])}, rho=${f(h['rho'])}, eps=${f(h['eps'])})` },
  rmsprop: {
    make: (h) => `torch.optim.RMSprop(params, lr=${f(h['lr'])}, alpha=${f(h['rho'])}, eps=${f(h['eps'])})`,
    note: 'dlm adds eps inside the square root, torch outside',
  },
  adagrad: { make: (h) => `torch.optim.Adagrad(params, lr=${f(h['lr'])}, eps=${f(h['eps'])})`, note: 'dlm adds eps inside the square root, torch outside' },
};

const hyperOf = (spec: OptimizerSpec | undefined): { name: string; hyper: Record<string, number> } => {
  const name = spec?.name ?? 'sgd';
  return { name, hyper: { ...(OPTIMIZERS[name]?.defaults ?? {}), ...(spec?.args ?? {}) } };
};

const pyValue = (v: number | string): string => (typeof v === 'number' ? pyNumber(v, Number.isInteger(v) ? 'i32' : 'f32') : JSON.stringify(v));

export const optimizerSection = (model: Model, cls: string): string[] => {
  if (!model.ir.losses.length) return [];
  const byId = new Map(model.ir.params.map((p) => [p.id, p.name]));
  const settings = model.ir.train?.settings ?? {};
  const groups = model.ir.losses.map((g) => {
    const spec = g.optimizer ?? model.ir.optimizer;
    const { name, hyper } = hyperOf(spec);
    const rule = TORCH_OPTIM[name]!;
    const all = g.params.length === model.ir.params.length;
    const params = all ? 'model.parameters()' : `[${g.params.map((id) => selfPath(byId.get(id)!, false).replace(/^self/, 'model')).join(', ')}]`;
    const args = Object.entries(hyper)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    const times = settings[`repeat_${g.name}`];
    const repeat = typeof times === 'number' ? times : 1;
    return [
      `    # ${g.name}: ${name}(${args})${spec ? ` from ${location(spec.span)}` : " (dlm's default)"}${rule.note ? `; ${rule.note}` : ''}`,
      `    params = ${params}`,
      `    optimizers.append((${JSON.stringify(g.name)}, ${rule.make(hyper)}, ${repeat}))`,
    ];
  });
  const clip = (k: string) => (typeof settings[k] === 'number' ? pyNumber(settings[k] as number, 'f32') : 'None');
  return [
    '',
    '# The train { … } settings of the .dlm file (epochs, batch size, schedule, …) for your own loop.',
    `TRAIN = {${Object.entries(settings)
      .map(([k, v]) => `${JSON.stringify(k)}: ${pyValue(v)}`)
      .join(', ')}}`,
    `SEED = ${model.opts.seed ?? 0}`,
    '',
    '',
    `def make_optimizers(model):`,
    `    """One (loss name, optimizer, steps per round) per loss of the model, each over the parameters that loss trains."""`,
    `    optimizers = []`,
    ...groups.flat(),
    `    return optimizers`,
    '',
    '',
    `def _clip(params, clip_norm, clip_value):`,
    `    """dlm's clipping: each element to [-c, c], then the global norm to at most clip_norm."""`,
    `    grads = [p.grad for p in params if p.grad is not None]`,
    `    if clip_value is not None:`,
    `        for g in grads:`,
    `            g.clamp_(-clip_value, clip_value)`,
    `    if clip_norm is not None and grads:`,
    `        norm = torch.sqrt(sum((g * g).sum() for g in grads))`,
    `        scale = torch.clamp(clip_norm / torch.clamp(norm, min=1e-12), max=1.0)`,
    `        for g in grads:`,
    `            g.mul_(scale)`,
    '',
    '',
    `def train_step(model: ${cls}, optimizers, batch, step):`,
    `    """One training step as dlm's Trainer takes it (step counts from 1): each loss in order, its gradient, clipping, update."""`,
    `    model.train()`,
    `    losses = {}`,
    `    for name, opt, repeat in optimizers:`,
    `        for k in range(repeat):`,
    `            model.random_key = (SEED * 7919 + step * 31 + k) % 16777216`,
    `            opt.zero_grad()`,
    `            value = model.loss(**batch)`,
    `            value = value[name] if isinstance(value, dict) else value`,
    `            value.backward()`,
    `            _clip([p for group in opt.param_groups for p in group["params"]], ${clip('clip_norm')}, ${clip('clip_value')})`,
    `            opt.step()`,
    `            losses[name] = value.item()`,
    `    return losses`,
    '',
  ];
};
