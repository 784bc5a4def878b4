import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, cliEnv } from '../support/cli.js';

// libphonenumber-js: its metadata costs ~100 ms to load; only import, lookups and seeding need it.
// pg and drizzle's node-postgres driver: only a postgres:// store loads them, never an SQLite run
// (drizzle-orm's own relations module imports pg-core's column types on any dialect).
const HEAVY = ['/node_modules/pg/', '/node_modules/pg-pool/', '/node_modules/drizzle-orm/node-postgres/', '/dist/db/pg/', '/node_modules/mjml', '/node_modules/@aws-sdk/', '/node_modules/twilio/', '/node_modules/@inquirer/', '/node_modules/liquidjs/', '/node_modules/libphonenumber-js/'];
const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// read commands never create the store: a write command makes the empty one `count` reads
beforeAll(() => {
  writeFileSync(path.join(dir, 'empty.csv'), 'external_id\n');
  spawnSync(process.execPath, [BIN, 'customers', 'import', 'empty.csv'], { env: cliEnv({ MKT_DB: path.join(dir, 'mkt.db') }), cwd: dir });
});

function loadedBy(args: string[]): { code: number; modules: string[] } {
  const trace = path.join(dir, `trace-${args.join('_').replace(/\W/g, '')}.txt`);
  const r = spawnSync(process.execPath, ['--import', path.join(ROOT, 'test/support/load-trace.mjs'), BIN, ...args], {
    env: cliEnv({ MKT_LOAD_TRACE: trace, MKT_DB: path.join(dir, 'mkt.db') }),
    cwd: dir,
    encoding: 'utf8',
  });
  return { code: r.status ?? -1, modules: readFileSync(trace, 'utf8').split('\n').filter(Boolean) };
}

describe('start-up stays light', () => {
  it.each([[['--help']], [['customers', 'count']], [['customers', 'count', '--json']]])('%j loads no heavy library', (args) => {
    const { code, modules } = loadedBy(args);
    expect(code).toBe(0);
    // the trace works: it saw our own entry and commander
    expect(modules.some((m) => m.includes('/dist/cli/main.js'))).toBe(true);
    expect(modules.some((m) => m.includes('/node_modules/commander/'))).toBe(true);
    const heavy = modules.filter((m) => HEAVY.some((h) => m.includes(h)));
    expect(heavy).toEqual([]);
  });

  it('libphonenumber-js loads on the first phone number parsed, not for an email address', () => {
    const email = loadedBy(['suppress', 'add', 'Bob@Bücher.example', '--channel', 'email']);
    expect(email.code).toBe(0);
    expect(email.modules.filter((m) => m.includes('/node_modules/libphonenumber-js/'))).toEqual([]);
    // the positive control: the trace sees the lazy (CommonJS) load
    const phone = loadedBy(['suppress', 'add', '+4915123456789', '--channel', 'sms']);
    expect(phone.code).toBe(0);
    expect(phone.modules.some((m) => m.includes('/node_modules/libphonenumber-js/'))).toBe(true);
  });
});
