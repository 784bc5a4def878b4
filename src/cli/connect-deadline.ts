import { envSecondsMs } from './env-number.js';

/**
 * MKT_DB_CONNECT_S: how long opening a PostgreSQL store waits for a connection (TCP, TLS,
 * login), a free one from the pool, and the migration lock, before the server counts as not
 * answering (69) or the lock as busy (75). Default 15 s (src/db/pg/open.ts); every command reads it.
 */
export function connectWithinMs(env: NodeJS.ProcessEnv): number | undefined {
  return envSecondsMs(env, 'MKT_DB_CONNECT_S', 'bad_connect_deadline', 30);
}
