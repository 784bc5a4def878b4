import { envSecondsMs } from './env-number.js';

/**
 * MKT_WORKER_TTL_S: how long a silent worker (or SQLite lease holder) counts as alive; its
 * heartbeat beats every sixth of it. Default 30 s; lower it where workers die often and their
 * in-flight rows should become `unknown` sooner. `campaign send` and `db copy` (which refuses
 * while a worker is live) read it the same way.
 */
export function workerTtlMs(env: NodeJS.ProcessEnv): number | undefined {
  return envSecondsMs(env, 'MKT_WORKER_TTL_S', 'bad_worker_ttl', 10);
}
