import type { Prompter } from '../../src/cli/prompter.js';

/** Answers questions from a list, in order; for tests of interactive paths. */
export function scriptedPrompter(answers: unknown[]): Prompter & { asked: string[]; offered: Record<string, string[]> } {
  const asked: string[] = [];
  /** the choices each select offered, by its message (names as shown) */
  const offered: Record<string, string[]> = {};
  const next = (message: string) => {
    asked.push(message);
    if (answers.length === 0) throw new Error(`scripted prompter ran out of answers at: ${message}`);
    return answers.shift();
  };
  return {
    asked,
    offered,
    input: async (m, opts) => {
      const v = String(next(m));
      const ok = opts?.validate?.(v) ?? true;
      if (ok !== true) throw new Error(`scripted answer "${v}" rejected: ${ok}`);
      return v;
    },
    select: async <T>(m: string, choices: Array<{ name: string }>) => {
      offered[m] = choices.map((c) => c.name);
      return next(m) as T;
    },
    confirm: async (m) => Boolean(next(m)),
  };
}
