import { ConfigError } from '../errors.js';

/**
 * MKT_WORKER_TTL_S: how long a silent worker (or SQLite lease holder) counts as alive; its
 * heartbeat beats every sixth of it. Default 30 s; lower it where workers die often and their
 * in-flight rows should become `unknown` sooner. `campaign send` and `db copy` (which refuses
 * while a worker is live) read it the same way.
 */
export function workerTtlMs(env: NodeJS.ProcessEnv): number | undefined {
  const text = env.MKT_WORKER_TTL_S;
  if (text === undefined || text === '') return undefined;
  if (!/^[1-9]\d{0,5}$/.test(text)) throw new ConfigError('bad_worker_ttl', `MKT_WORKER_TTL_S="${text}" is not a whole number of seconds`, { hint: 'e.g. MKT_WORKER_TTL_S=10' });
  return Number(text) * 1000;
}
