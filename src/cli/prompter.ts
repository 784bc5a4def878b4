import { UsageError } from '../errors.js';

export interface Choice<T> {
  name: string;
  value: T;
  description?: string;
}

/**
 * The one door to interactive prompts. The real one loads @inquirer/prompts only when a
 * question is asked (it costs ~100 ms to import); tests hand main() a scripted one.
 */
export interface Prompter {
  input(message: string, opts?: { default?: string; validate?: (v: string) => true | string }): Promise<string>;
  select<T>(message: string, choices: Array<Choice<T>>): Promise<T>;
  confirm(message: string, defaultValue?: boolean): Promise<boolean>;
}

export function inquirerPrompter(): Prompter {
  const load = () => import('@inquirer/prompts');
  return {
    async input(message, opts = {}) {
      const { input } = await load();
      return input({ message, default: opts.default, validate: opts.validate });
    },
    async select(message, choices) {
      const { select } = await load();
      return select({ message, choices });
    },
    async confirm(message, defaultValue = false) {
      const { confirm } = await load();
      return confirm({ message, default: defaultValue });
    },
  };
}

/** A prompter for non-interactive runs: any question is a usage error naming the missing flag. */
export function noPrompter(): Prompter {
  const refuse = (message: string): never => {
    throw new UsageError(`input needed but there is no terminal to ask: ${message}`, {
      code: 'prompt_without_tty',
      hint: 'pass the value as a flag (see --help)',
    });
  };
  return { input: async (m) => refuse(m), select: async (m) => refuse(m), confirm: async (m) => refuse(m) };
}

/** Answers questions from a list, in order; for tests of interactive paths. */
export function scriptedPrompter(answers: unknown[]): Prompter & { asked: string[] } {
  const asked: string[] = [];
  const next = (message: string) => {
    asked.push(message);
    if (answers.length === 0) throw new Error(`scripted prompter ran out of answers at: ${message}`);
    return answers.shift();
  };
  return {
    asked,
    input: async (m, opts) => {
      const v = String(next(m));
      const ok = opts?.validate?.(v) ?? true;
      if (ok !== true) throw new Error(`scripted answer "${v}" rejected: ${ok}`);
      return v;
    },
    select: async <T>(m: string) => next(m) as T,
    confirm: async (m) => Boolean(next(m)),
  };
}
