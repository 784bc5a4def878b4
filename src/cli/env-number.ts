import { ConfigError } from '../errors.js';

/**
 * A whole number from 1 to `max` from the environment, in decimal digits without a leading
 * zero; undefined when unset or empty (the caller's default). Anything else is a configuration
 * error (78) with `code`, the value quoted (these are not secrets), `what` saying what it must be
 * and `example` as the hint.
 */
export function envWholeNumber(env: NodeJS.ProcessEnv, name: string, code: string, rule: { max: number; what: string; example: number }): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  if (!/^[1-9]\d*$/.test(text) || Number(text) > rule.max) throw new ConfigError(code, `${name}="${text}" is not ${rule.what}`, { hint: `e.g. ${name}=${rule.example}` });
  return Number(text);
}

/** A duration in whole seconds, 1 to 999,999 (MKT_WORKER_TTL_S, MKT_DB_COPY_ANSWER_S, MKT_DB_CONNECT_S), in ms. */
export function envSecondsMs(env: NodeJS.ProcessEnv, name: string, code: string, example: number): number | undefined {
  const seconds = envWholeNumber(env, name, code, { max: 999_999, what: 'a whole number of seconds', example });
  return seconds === undefined ? undefined : seconds * 1000;
}
