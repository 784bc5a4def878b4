import { ConfigError } from '../errors.js';

/**
 * A duration in whole seconds from the environment (MKT_WORKER_TTL_S, MKT_DB_COPY_ANSWER_S,
 * MKT_DB_CONNECT_S), in ms; undefined when unset or empty (the caller's default). Anything but
 * 1 to 999,999 in decimal digits is a configuration error (78) with `code`, the value quoted
 * (these are not secrets) and `example` as the hint.
 */
export function envSecondsMs(env: NodeJS.ProcessEnv, name: string, code: string, example: number): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  if (!/^[1-9]\d{0,5}$/.test(text)) throw new ConfigError(code, `${name}="${text}" is not a whole number of seconds`, { hint: `e.g. ${name}=${example}` });
  return Number(text) * 1000;
}
