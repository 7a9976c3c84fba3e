// Per-command help and flag checking, derived from the one help text in cli.ts: a command's section
// ("  train FILE …" up to the next command) is its help page, and the flags it mentions are the ones it
// takes. A flag that no section mentions is accepted by every command; a flag that some sections
// mention is an error elsewhere, with a suggestion. Unknown flags and commands get "did you mean".
import { didYouMeanText } from '../diagnostics/suggest.js';
import { UsageError } from './io.js';

interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
}

/** Flags every command takes. */
const COMMON = new Set(['help', 'version', 'model', 'seed']);
/** Flags a command takes beyond those its help section names (eval reads the data the way train does). */
const EXTRA: Readonly<Record<string, readonly string[]>> = {
  eval: ['data', 'batch', 'limit', 'label-column', 'classes', 'val-fraction', 'params', 'features', 'header', 'drop-missing', 'resize', 'grayscale'],
  predict: ['params', 'out'],
  run: ['params'],
};

const COMMAND_LINE = /^ {2}([a-z][a-z-]*)(?: FILE| --| \[| {2,}\S)/;

interface Section {
  readonly name: string;
  readonly text: string;
}

const sections = (help: string): Section[] => {
  const lines = help.split('\n');
  const out: { name: string; lines: string[] }[] = [];
  for (const line of lines) {
    const m = COMMAND_LINE.exec(line);
    if (m) out.push({ name: m[1]!, lines: [line] });
    else if (/^\S/.test(line)) out.push({ name: '', lines: [] });
    else out[out.length - 1]?.lines.push(line);
  }
  return out.filter((s) => s.name).map((s) => ({ name: s.name, text: s.lines.join('\n').replace(/\s+$/, '') }));
};

export const commandNames = (help: string): string[] => sections(help).map((s) => s.name);

/** `dlm help train` / `dlm train --help`: the usage line, the command's section and the common options. */
export const commandHelp = (help: string, cmd: string): string => {
  const s = sections(help).find((x) => x.name === cmd);
  if (!s) throw new UsageError(`unknown command '${cmd}'${suffix(didYouMeanText(cmd, commandNames(help), "'"))}`);
  const common = help.split('\n').find((l) => l.startsWith('common options:')) ?? '';
  const file = / FILE\b/.test(s.text.split('\n')[0]!) ? ' FILE.dlm' : '';
  return `usage: dlm ${cmd}${file} [options]\n\n${s.text}\n\n${common}`.trimEnd();
};

const mentioned = (text: string): Set<string> => {
  const names = new Set<string>();
  for (const m of text.matchAll(/(?:^|[\s[(,|])--([a-z][a-z0-9-]*)/g)) names.add(m[1]!);
  for (const m of text.matchAll(/(?:^|[\s[(,|])-([a-z])\b/g)) names.add(`-${m[1]!}`);
  return names;
};

export const suffix = (s: string): string => (s ? `; ${s}` : '');

/**
 * Rejects flags that do not exist or do not apply to `cmd`, before Node's parser sees them (its
 * messages are not meant for users). Values of string flags are skipped; `--` ends the flags.
 */
export const checkFlags = (argv: readonly string[], cmd: string, options: Readonly<Record<string, OptionSpec>>, help: string): void => {
  const all = sections(help);
  const own = all.find((s) => s.name === cmd);
  if (!own) return;
  const ownFlags = mentioned(own.text);
  const byShort = new Map(Object.entries(options).flatMap(([k, v]) => (v.short ? [[v.short, k] as const] : [])));
  const documentedSomewhere = new Set(all.flatMap((s) => [...mentioned(s.text)]));
  const takes = (name: string): boolean => {
    if (COMMON.has(name) || ownFlags.has(name) || (EXTRA[cmd] ?? []).includes(name)) return true;
    const short = options[name]?.short;
    if (short && ownFlags.has(`-${short}`)) return true;
    return !documentedSomewhere.has(name) && !(short && documentedSomewhere.has(`-${short}`));
  };
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]!;
    if (tok === '--') break;
    if (!tok.startsWith('-') || tok === '-' || /^-\d/.test(tok)) continue;
    const long = tok.startsWith('--');
    const raw = long ? tok.slice(2).split('=')[0]! : tok.slice(1, 2);
    const name = long ? raw : byShort.get(raw);
    const shown = long ? `--${raw}` : `-${raw}`;
    if (!name || !Object.hasOwn(options, name)) {
      const near = didYouMeanText(raw, [...ownFlags].filter((f) => !f.startsWith('-')).concat([...COMMON]), "'");
      throw new UsageError(`unknown option '${shown}' for 'dlm ${cmd}'${suffix(near.replace(/'([a-z][a-z0-9-]*)'/g, "'--$1'"))} (see dlm help ${cmd})`);
    }
    if (!takes(name)) {
      const users = all.filter((s) => mentioned(s.text).has(name)).map((s) => s.name);
      throw new UsageError(
        `'dlm ${cmd}' does not take ${shown} (${users.map((u) => `dlm ${u}`).join(', ')} ${users.length === 1 ? 'does' : 'do'}; see dlm help ${cmd})`,
      );
    }
    if (options[name]!.type === 'string' && !(long ? tok.includes('=') : tok.length > 2)) i++;
  }
};
