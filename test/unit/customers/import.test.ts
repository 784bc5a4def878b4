import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../src/db/open.js';
import { importCustomers, type ImportOptions } from '../../../src/customers/import/index.js';
import { detectDelimiter } from '../../../src/customers/import/csv.js';
import { parseColumnMap } from '../../../src/customers/fields.js';
import { InputError } from '../../../src/errors.js';

let dir: string;
let store: Store;
const T0 = new Date('2025-01-01T00:00:00Z');
const T1 = new Date('2025-02-01T00:00:00Z');

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-import-'));
  store = openStore(path.join(dir, 'mkt.db'));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}
const run = (f: string, opts: Partial<ImportOptions> = {}) => importCustomers(store, { file: f, now: T0, ...opts });
const rows = () => store.sqlite.prepare('SELECT * FROM customers ORDER BY id').all() as Array<Record<string, unknown>>;

describe('CSV dialects', () => {
  it.each([
    [',', 'comma'],
    [';', 'semicolon'],
    ['\t', 'tab'],
    ['|', 'pipe'],
  ])('detects %j (%s) with BOM, CRLF and a quoted newline, and names the right lines', async (d) => {
    const text = ['email' + d + 'First Name' + d + 'note' + d + 'ltv', `a@example.com${d}"Ann${d}Marie"${d}"two\r\nlines"${d}1`, `b@example.com${d}Bob${d}x${d}bad`, ''].join('\r\n');
    const r = await run(file('c.csv', '\ufeff' + text));
    expect(r).toMatchObject({ read: 2, inserted: 2, warnings: 1, warning_samples: [{ line: 4, reason: expect.stringContaining('lifetime_value') }] });
    const [a, b] = rows();
    expect(a).toMatchObject({ email: 'a@example.com', first_name: `Ann${d}Marie`, attributes: JSON.stringify({ note: 'two\nlines' }) });
    expect(b).toMatchObject({ email: 'b@example.com', first_name: 'Bob' });
  });

  it('detection counts only delimiters outside quotes; --delimiter overrides it', async () => {
    expect(detectDelimiter('"a;b;c",d,e')).toBe(',');
    expect(detectDelimiter('a;b,c;d')).toBe(';');
    expect(detectDelimiter('email')).toBe(',');
    // the header has more commas than semicolons, but the file is semicolon-separated
    const f = file('s.txt', 'email;tags\na@example.com;x,y,z\n');
    await expect(run(f, { delimiter: ';' })).resolves.toMatchObject({ inserted: 1 });
    expect(rows()[0]).toMatchObject({ attributes: '{"tags":"x,y,z"}' });
  });

  it('skips blank lines and keeps counting lines across them', async () => {
    const r = await run(file('b.csv', 'email,ltv\n\na@example.com,1\n\n\nb@example.com,x\n'));
    expect(r).toMatchObject({ read: 2, inserted: 2, warning_samples: [{ line: 6 }] });
  });

  it('an unterminated quote names the line where the quote opens and writes nothing', async () => {
    await run(file('ok.csv', 'email\nkeep@example.com\n'));
    const before = rows();
    const f = file('u.csv', 'email,name\na@example.com,Ann\nb@example.com,"Bob\nc@example.com,Carl\n');
    await expect(run(f)).rejects.toThrow(`${f}:3: unterminated quoted field`);
    expect(rows()).toEqual(before);
  });

  it('an empty file is a structural error', async () => {
    const f = file('e.csv', '');
    await expect(run(f)).rejects.toThrow(InputError);
  });
});

describe('JSON and JSON Lines', () => {
  it('streams a pretty-printed JSON array and names each element by its first line', async () => {
    const f = file('a.json', '[\n  {\n    "email": "a@example.com",\n    "ltv": 12.5\n  },\n  {"email": "b@example.com", "ltv": "1,5"}\n]\n');
    expect(await run(f)).toMatchObject({ read: 2, inserted: 2, warnings: 1, warning_samples: [{ line: 6 }] });
    expect(rows().map((r) => r.lifetime_value)).toEqual([12.5, null]);
  });

  it('splits elements correctly across 64 KiB chunk boundaries, whatever the strings hold', async () => {
    const tricky = 'a ] , { } [ \\" " \\\\ \n';
    const items = Array.from({ length: 3000 }, (_, i) => ({ id: `c${i}`, note: tricky.repeat(i % 5), nested: { list: [i, { deep: '}]' }] } }));
    const f = file('big.json', JSON.stringify(items, null, 2));
    const r = await run(f);
    expect(r).toMatchObject({ read: 3000, inserted: 3000, rejected: 0, warnings: 0 });
    const last = store.sqlite.prepare("SELECT attributes FROM customers WHERE external_id = 'c2999'").get() as { attributes: string };
    expect(JSON.parse(last.attributes)).toEqual({ note: tricky.repeat(4), nested: { list: [2999, { deep: '}]' }] } });
  });

  it.each([
    ['[{"email":"a@example.com"},\n{"email": }\n]', 2, 'invalid JSON'],
    ['[{"email":"a@example.com"},]', 1, 'expected a value'],
    ['[{"email":"a@example.com"}\n\n', 1, 'not closed'],
    ['[\n{"email":"a@example.com}]\n', 2, 'element is not closed'],
    ['{"email":"a@example.com"}', 1, 'expected a JSON array'],
    ['[{"email":"a@example.com"}, 42]', 1, 'expected an object'],
    ['[{"email":"a@example.com"}] x', 1, 'after the array'],
  ])('%j is a structural error at line %i', async (text, line, what) => {
    const f = file('bad.json', text);
    await expect(run(f)).rejects.toThrow(new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${line}: .*${what}`));
    expect(rows()).toEqual([]);
  });

  it('JSON Lines: blank lines skipped, a bad line fails the import naming it', async () => {
    expect(await run(file('a.jsonl', '{"email":"a@example.com"}\n\n{"email":"b@example.com","plan":"pro"}\n'))).toMatchObject({ read: 2, inserted: 2 });
    const f = file('b.jsonl', '{"email":"c@example.com"}\n{"email": "d@example.com"\n');
    await expect(run(f)).rejects.toThrow(`${f}:2: invalid JSON`);
    const g = file('c.jsonl', '{"email":"c@example.com"}\n[1,2]\n');
    await expect(run(g)).rejects.toThrow(`${g}:2: expected a JSON object`);
    expect(rows()).toHaveLength(2);
  });

  it('JSON Lines: CRLF line ends and lines split across 64 KiB chunks', async () => {
    const text = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ id: `j${i}`, pad: 'x'.repeat(i % 97) })).join('\r\n');
    const r = await run(file('big.jsonl', text));
    expect(r).toMatchObject({ read: 2000, inserted: 2000, warnings: 0 });
    expect(store.sqlite.prepare("SELECT attributes FROM customers WHERE external_id = 'j1999'").get()).toEqual({ attributes: JSON.stringify({ pad: 'x'.repeat(1999 % 97) }) });
  });

  it('the format follows the extension unless --format says otherwise', async () => {
    await expect(run(file('x.data', '{"email":"a@example.com"}\n'))).rejects.toThrow('cannot tell the format');
    await expect(run(file('y.data', '{"email":"a@example.com"}\n'), { format: 'jsonl' })).resolves.toMatchObject({ inserted: 1 });
  });
});

describe('identity and upsert', () => {
  it('matches by external_id, else email, else phone', async () => {
    await run(file('a.csv', 'id,email,phone,first_name\nx1,a@example.com,+4915123456789,Ann\n,b@example.com,+4915123456780,Bob\n,,+4915123456781,Cy\n'));
    const r = await run(file('b.csv', 'id,email,phone,first_name\nx1,new@example.com,,Anna\n,B@EXAMPLE.COM,,Bobby\n,,0151 23456781,Cyrus\n'), { defaultCountry: 'DE', now: T1 });
    expect(r).toMatchObject({ read: 3, inserted: 0, updated: 3, unchanged: 0 });
    expect(rows().map((c) => [c.external_id, c.email, c.phone, c.first_name])).toEqual([
      ['x1', 'new@example.com', '+4915123456789', 'Anna'],
      [null, 'b@example.com', '+4915123456780', 'Bobby'],
      [null, null, '+4915123456781', 'Cyrus'],
    ]);
  });

  it('an address shared with a customer of another external id is a different customer', async () => {
    await run(file('a.csv', 'id,email\nx1,shared@example.com\n'));
    expect(await run(file('b.csv', 'id,email\nx2,shared@example.com\n'))).toMatchObject({ inserted: 1 });
    expect(rows()).toHaveLength(2);
  });

  it('re-importing the same file changes nothing, not even updated_at', async () => {
    const text = 'id,email,phone,country,ltv,orders,last_order,email_opt_in,sms_opt_in,plan,score\nx1,a@example.com,0151 23456789,DE,10.5,2,2024-01-02,yes,,pro,7\n,b@example.com,,FR,,,,,n,free,\n';
    const f = file('a.csv', text);
    expect(await run(f)).toMatchObject({ inserted: 2, updated: 0, unchanged: 0 });
    const before = rows();
    expect(await run(f, { now: T1 })).toEqual({ read: 2, inserted: 0, updated: 0, unchanged: 2, rejected: 0, warnings: 0, rejects: [], warning_samples: [] });
    expect(rows()).toEqual(before);
  });

  it('updated counts only real changes, and only changed rows get a new updated_at', async () => {
    await run(file('a.csv', 'email,ltv\na@example.com,1\nb@example.com,2\n'));
    expect(await run(file('b.csv', 'email,ltv\na@example.com,1\nb@example.com,3\n'), { now: T1 })).toMatchObject({ updated: 1, unchanged: 1 });
    expect(rows().map((r) => r.updated_at)).toEqual([T0.getTime(), T1.getTime()]);
  });

  it('absent columns and empty cells keep stored values; an empty consent cell means no consent', async () => {
    await run(file('a.csv', 'email,first_name,email_opt_in,sms_opt_in,plan\na@example.com,Ann,yes,yes,pro\n'));
    await run(file('b.csv', 'email,first_name,email_opt_in,tier\na@example.com,,,gold\n'), { now: T1 });
    expect(rows()[0]).toMatchObject({ first_name: 'Ann', email_opt_in: 0, sms_opt_in: 1, attributes: '{"plan":"pro","tier":"gold"}' });
  });

  it('two lines for one customer: the later wins with a warning naming both; importing it again changes nothing', async () => {
    const f = file('d.csv', 'email,first_name,ltv\na@example.com,Ann,1\nb@example.com,Bob,2\nA@example.com,Anna,3\n');
    const first = await run(f);
    expect(first).toMatchObject({ read: 3, inserted: 2, updated: 0, unchanged: 0, warnings: 1 });
    expect(first.warning_samples).toEqual([{ line: 4, reason: 'same customer as line 2 (email "a@example.com"): line 4 wins' }]);
    expect(rows()[0]).toMatchObject({ first_name: 'Anna', lifetime_value: 3 });
    const before = rows();
    const again = await run(f, { now: T1 });
    expect(again).toMatchObject({ read: 3, inserted: 0, updated: 0, unchanged: 2, warnings: 1 });
    expect(rows()).toEqual(before);
    // a file whose last line changes the customer counts it once, as updated
    const g = file('e.csv', 'email,first_name\na@example.com,Ann\na@example.com,Annie\n');
    expect(await run(g, { now: T1 })).toMatchObject({ updated: 1, unchanged: 0 });
    expect(rows()[0]).toMatchObject({ first_name: 'Annie', updated_at: T1.getTime() });
  });

  it('--map, --default-country, rejects with line and reason, and the rejects file', async () => {
    const rejects = path.join(dir, 'rejects.csv');
    const f = file('m.csv', 'Kundennr,Handy,Name\nk1,0151 23456789,"Ann, A."\n,,Nobody\n,12,Shorty\n');
    const r = await run(f, { map: parseColumnMap(['Kundennr=external_id', 'Handy=phone', 'Name=first_name']), defaultCountry: 'DE', rejectsFile: rejects });
    expect(r).toMatchObject({
      read: 3,
      inserted: 1,
      rejected: 2,
      rejects: [
        { line: 3, reason: 'no usable identity (external_id, email or phone)' },
        { line: 4, reason: 'no usable identity: invalid phone "12" (not a phone number)' },
      ],
    });
    expect(rows()[0]).toMatchObject({ external_id: 'k1', phone: '+4915123456789', first_name: 'Ann, A.' });
    expect(readFileSync(rejects, 'utf8')).toBe(
      'line,reason,Kundennr,Handy,Name\n3,"no usable identity (external_id, email or phone)",,,Nobody\n4,"no usable identity: invalid phone ""12"" (not a phone number)",,12,Shorty\n',
    );
  });

  it('--dry-run reports the same counts and writes nothing', async () => {
    const f = file('a.csv', 'email\na@example.com\nb@example.com\na@example.com\n');
    expect(await run(f, { dryRun: true })).toMatchObject({ read: 3, inserted: 2, warnings: 1 });
    expect(rows()).toEqual([]);
  });

  it('--strict fails on the first warning or reject and writes nothing', async () => {
    await expect(run(file('w.csv', 'email,ltv\na@example.com,1\nb@example.com,1,5\n'), { strict: true })).rejects.toThrow(/w\.csv:3: rejected: row has 3 fields.*--strict/);
    await expect(run(file('v.csv', 'email,ltv\na@example.com,1\nb@example.com,x\n'), { strict: true })).rejects.toThrow(/v\.csv:3: invalid lifetime_value "x"/);
    expect(rows()).toEqual([]);
  });
});

describe('hostile column names', () => {
  it('a `__proto__` column is an ordinary attribute, an empty header name is skipped', async () => {
    await run(file('p.csv', 'email,__proto__,\na@example.com,{"x":1},junk\n'));
    await run(file('q.jsonl', '{"email":"a@example.com","__proto__":{"polluted":true},"b":2}\n'), { now: T1 });
    expect(JSON.parse(rows()[0]!.attributes as string)).toEqual(JSON.parse('{"__proto__":{"polluted":true},"b":2}'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('identities resolved in batches', () => {
  // Rows are written in batches of 500 whose identities are looked up together: a row must
  // still find the customer an earlier line created in the same batch, in an earlier batch,
  // or in the store before the import, and an updated address must be found under its new value.
  it('matches earlier lines within a batch, across batches and in the store exactly as line by line', async () => {
    await run(file('before.csv', 'external_id,email\nold,old@example.com\n'));
    const lines = ['external_id,email,phone,country'];
    for (let i = 1; i <= 700; i++) lines.push(`c${i},e${i}@example.com,,`);
    for (let i = 1; i <= 500; i++) lines.push(`,e${i}@example.com,,`); // by email: 1-300 from batch 1 into batch 2, the rest in batch 3
    lines.push(',old@example.com,,'); // a customer stored before the import
    lines.push('c2,moved@example.com,,', ',moved@example.com,,'); // an address changed by this import, in the same batch
    const r = await run(file('batches.csv', lines.join('\n') + '\n'));
    expect(r).toMatchObject({ read: 1203, inserted: 700, updated: 0, unchanged: 1, rejected: 0 });
    expect(r.warnings).toBe(502);
    expect(r.warning_samples[0]).toEqual({ line: 702, reason: 'same customer as line 2 (email "e1@example.com"): line 702 wins' });
    expect(rows()).toHaveLength(701);
  });

  it('a row with a new external id skips no address owner that has no external id, and matches none that has another', async () => {
    await run(file('before.csv', 'external_id,email,phone\n,anon@example.com,\nx9,owned@example.com,+4915123456789\n,,+4915123456780\n'));
    const lines = [
      'external_id,email,phone,first_name',
      'n1,anon@example.com,,A', // stored owner without an external id: the same customer
      'n2,owned@example.com,,B', // stored owner with another external id: a new customer
      'n3,,+4915123456789,C', // the same by phone
      'n4,,+4915123456780,D', // stored phone owner without an external id
      ',fresh@example.com,,E', // written by this batch without an external id ...
      'n5,fresh@example.com,,F', // ... so a later line with a new external id is that customer
      'n6,,+4915123456789,G', // both owners (x9, n3) have other external ids
      ',,+4915123456789,H', // no external id: the first owner (x9)
    ];
    const r = await run(file('owners.csv', lines.join('\n') + '\n'));
    expect(r).toMatchObject({ read: 8, inserted: 4, updated: 3, unchanged: 0, rejected: 0, warnings: 1 });
    expect(rows().map((c) => [c.external_id, c.email, c.phone, c.first_name])).toEqual([
      ['n1', 'anon@example.com', null, 'A'],
      ['x9', 'owned@example.com', '+4915123456789', 'H'],
      ['n4', null, '+4915123456780', 'D'],
      ['n2', 'owned@example.com', null, 'B'],
      ['n3', null, '+4915123456789', 'C'],
      ['n5', 'fresh@example.com', null, 'F'],
      ['n6', null, '+4915123456789', 'G'],
    ]);
  });
});
