// Runs the dlm CLI in-process, as a user's terminal would, capturing what it prints.
import { main } from '../../compiler/cli.js';
import type { Out } from '../../compiler/cli/io.js';

export const runCli = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
  const o: string[] = [],
    e: string[] = [];
  const out: Out = { log: (s) => o.push(s), err: (s) => e.push(s), color: false, stderrIsTTY: false };
  return { code: await main(args, out), stdout: o.join('\n'), stderr: e.join('\n') };
};
