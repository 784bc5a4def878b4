import { UsageError } from '../errors.js';

export interface Choice<T> {
  name: string;
  value: T;
  description?: string;
}

/**
 * The one door to interactive prompts. The real one loads @inquirer/prompts only when a
 * question is asked (it costs ~100 ms to import); tests hand main() a scripted one
 * (test/support/prompter.ts).
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
