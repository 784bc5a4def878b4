/**
 * Hostile and broken input (test/corpus/): every file gives a clear error through the real
 * CLI — naming the file, and the line where the format has lines — the documented exit code
 * (65 bad data, 78 configuration), no stack trace, no hang, and an unchanged database
 * (a checksum of every table before and after).
 */
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../support/cli.js';
import { smsWorkspace, type SmsWorkspace } from '../support/campaign-workspace.js';

const CORPUS = path.join(ROOT, 'test', 'corpus');

/** sha256 over every table's rows in rowid order: any change to the data changes it. */
export function databaseChecksum(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    const hash = createHash('sha256');
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>;
    for (const { name } of tables) {
      hash.update(`table ${name}\n`);
      for (const row of db.prepare(`SELECT * FROM "${name}"`).iterate()) hash.update(JSON.stringify(row) + '\n');
    }
    return hash.digest('hex');
  } finally {
    db.close();
  }
}

interface Case {
  /** Corpus file (relative to test/corpus), or generated content. */
  file: string;
  content?: () => Buffer;
  /** Where it goes in the workspace (default: stays in the corpus, passed by absolute path). */
  placeAt?: string;
  args: (placed: string) => string[];
  code: 65 | 78;
  /** What the message must name: the file, and `file:line` where the format has lines. */
  mentions: RegExp;
}

const customers = (file: string, mentions: RegExp): Case => ({ file, args: (p) => ['customers', 'import', p], code: 65, mentions });
const segment = (file: string, mentions = /segments\/bad\.yaml:\d+/): Case => ({ file, placeAt: 'segments/bad.yaml', args: () => ['segment', 'count', 'bad'], code: 65, mentions });
const providers = (file: string, mentions = /providers\.yaml:\d+/): Case => ({ file, placeAt: 'providers.yaml', args: () => ['provider', 'list'], code: 78, mentions });
const settings = (file: string, mentions = /mkt\.yaml:\d+/): Case => ({ file, placeAt: 'mkt.yaml', args: () => ['campaign', 'send', 'c', '--yes'], code: 78, mentions });
const campaignFile = (file: string, mentions = /campaigns\/bad\.yaml:\d+/): Case => ({ file, placeAt: 'campaigns/bad.yaml', args: (p) => ['campaign', 'create', '--file', p], code: 65, mentions });
const template = (file: string, mentions: RegExp): Case => {
  const email = file.endsWith('.mjml');
  return { file, placeAt: email ? 'templates/email/bad.mjml' : 'templates/sms/bad.txt', args: () => ['template', 'validate', 'bad'], code: 65, mentions };
};

const HUGE = 8 * 1024 * 1024;
const CASES: Case[] = [
  customers('customers/nul-byte.csv', /nul-byte\.csv:3/),
  customers('customers/invalid-utf8.csv', /invalid-utf8\.csv:3/),
  customers('customers/duplicate-header.csv', /duplicate-header\.csv:1/),
  customers('customers/unterminated-quote.csv', /unterminated-quote\.csv:\d+/),
  customers('customers/bom-duplicate-header.csv', /bom-duplicate-header\.csv:1/),
  customers('customers/truncated.json', /truncated\.json/),
  customers('customers/not-array.json', /not-array\.json/),
  customers('customers/bad-line.jsonl', /bad-line\.jsonl:3/),
  customers('customers/nul.jsonl', /nul\.jsonl:2/),
  customers('customers/invalid-utf8.jsonl', /invalid-utf8\.jsonl:2/),
  segment('segments/alias-bomb.yaml'),
  segment('segments/deep-nesting.yaml'),
  segment('segments/duplicate-keys.yaml'),
  segment('segments/nul-byte.yaml'),
  segment('segments/unknown-field.yaml'),
  providers('providers/alias-bomb.yaml'),
  providers('providers/duplicate-keys.yaml'),
  providers('providers/deep-nesting.yaml'),
  settings('mkt/alias-bomb.yaml'),
  settings('mkt/duplicate-keys.yaml'),
  campaignFile('campaigns/alias-bomb.yaml', /campaigns\/bad\.yaml:2:8: YAML: .*too many alias expansions/),
  campaignFile('campaigns/duplicate-keys.yaml'),
  template('templates/broken-tags.mjml', /templates\/email\/bad\.mjml:7: MJML/),
  template('templates/unclosed-if.mjml', /templates\/email\/bad\.mjml:\d+/),
  template('templates/include-passwd.mjml', /templates\/email\/bad\.mjml:\d+/),
  template('templates/unclosed-output.txt', /templates\/sms\/bad\.txt:1/),
  template('templates/include-traversal.txt', /templates\/sms\/bad\.txt:1/),
  template('templates/alias-bomb.txt', /templates\/sms\/bad\.txt:3:8: YAML: .*too many alias expansions/),
];

let base: SmsWorkspace;
let scratch: string;
beforeAll(() => {
  base = smsWorkspace(3);
  expect(base.cli(['campaign', 'create', '--name', 'c', '--channel', 'sms', '--segment', 'all-sms', '--provider', 'outbox-sms', '--template', 'hello']).code).toBe(0);
  expect(base.cli(['campaign', 'prepare', 'c']).code).toBe(0);
  scratch = mkdtempSync(path.join(os.tmpdir(), 'mkt-corpus-'));
});
afterAll(() => {
  base?.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

describe('input corpus: clear errors, documented exit codes, unchanged database', { timeout: 120_000 }, () => {
  for (const c of CASES) {
    it(`${c.file} → exit ${c.code}`, () => {
      const dir = path.join(scratch, c.file.replace(/[^a-z0-9]+/gi, '-'));
      cpSync(base.dir, dir, { recursive: true });
      const bytes = c.content ? c.content() : readFileSync(path.join(CORPUS, c.file));
      let placed: string;
      if (c.placeAt) {
        placed = c.placeAt;
        mkdirSync(path.dirname(path.join(dir, placed)), { recursive: true });
        writeFileSync(path.join(dir, placed), bytes);
      } else {
        placed = path.join(dir, path.basename(c.file));
        writeFileSync(placed, bytes);
      }
      const db = path.join(dir, '.mkt', 'mkt.db');
      const before = databaseChecksum(db);
      const r = runCli(c.args(placed), { cwd: dir, env: base.env, timeoutMs: 60_000 });
      // errors go to stderr; `validate` commands print their findings as their result (stdout)
      expect({ code: r.code, output: r.stderr + r.stdout }).toEqual({ code: c.code, output: expect.stringMatching(c.mentions) });
      expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/); // no stack trace
      expect(r.stderr.length).toBeLessThan(4000); // a message, not a dump of the input
      expect(databaseChecksum(db)).toBe(before);
      rmSync(dir, { recursive: true, force: true });
    });
  }

  it('huge lines (an 8 MiB field in CSV and JSON Lines) neither crash nor hang the import', () => {
    const dir = path.join(scratch, 'huge');
    cpSync(base.dir, dir, { recursive: true });
    const big = Buffer.alloc(HUGE, 'x');
    writeFileSync(path.join(dir, 'huge.csv'), Buffer.concat([Buffer.from('external_id,email,first_name\nh1,huge@example.org,'), big, Buffer.from('\n')]));
    writeFileSync(path.join(dir, 'huge.jsonl'), Buffer.concat([Buffer.from('{"external_id":"h2","email":"huge2@example.org","first_name":"'), big, Buffer.from('"}\n')]));
    for (const f of ['huge.csv', 'huge.jsonl']) {
      const r = runCli(['customers', 'import', f, '--json'], { cwd: dir, env: base.env, timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ read: 1, rejected: 0 });
      expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
    }
  });

  it('a BOM before the header is not data: the file imports', () => {
    const dir = path.join(scratch, 'bom');
    cpSync(base.dir, dir, { recursive: true });
    writeFileSync(path.join(dir, 'bom.csv'), '\ufeffexternal_id,email,email_opt_in\nb1,bom@example.org,yes\n');
    const r = runCli(['customers', 'import', 'bom.csv'], { cwd: dir, env: base.env });
    expect(r.code, r.stderr).toBe(0);
    const db = new Database(path.join(dir, '.mkt', 'mkt.db'), { readonly: true });
    expect(db.prepare("SELECT external_id, email FROM customers WHERE email = 'bom@example.org'").all()).toEqual([{ external_id: 'b1', email: 'bom@example.org' }]);
    db.close();
  });
});
