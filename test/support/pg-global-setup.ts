/**
 * vitest globalSetup (vitest.config.ts): asks the PostgreSQL test server once for the whole run
 * whether it answers, and hands the answer to every test file (`inject('pgServer')`, read by
 * ./pg.ts). With no server, the PostgreSQL tests skip without a word each, and this says so once,
 * in one line at the end of the run; with MKT_TEST_PG=required each of them fails instead.
 */
import type { TestProject } from 'vitest/node';
import { PG_BASE_URL, PG_REQUIRED, probePgServer, skippedLine, type PgServer } from './pg.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgServer: PgServer;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const server = await probePgServer(PG_BASE_URL);
  project.provide('pgServer', server);
  return () => {
    if (!server.up && !PG_REQUIRED) process.stderr.write(`${skippedLine(server.why)}\n`);
  };
}
