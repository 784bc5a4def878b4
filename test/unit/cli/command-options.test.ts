/**
 * Flags → options for each command, as tables: what commander hands the command (values
 * already checked by src/cli/options.ts) and the typed options object the core is called with.
 * Nothing runs: no store, no provider, no process.
 */
import { describe, expect, it } from 'vitest';
import { parsePreflightOptions } from '../../../src/cli/campaign/check.js';
import { parseApplyOptions } from '../../../src/cli/campaign/apply.js';
import { parseProofOptions } from '../../../src/cli/campaign/test.js';
import { parseCreateOptions } from '../../../src/cli/campaign/create.js';
import { parseReportOptions } from '../../../src/cli/campaign/report.js';
import { parseSendOptions, type SendFlags } from '../../../src/cli/campaign/send.js';
import { parseStatusOptions } from '../../../src/cli/campaign/status.js';
import { parseImportOptions, parseListOptions, parseSeedOptions } from '../../../src/cli/customers.js';
import { parseBackupOptions, parseCopyOptions } from '../../../src/cli/db.js';
import { parseDemoOptions } from '../../../src/cli/demo.js';
import { parseFeedbackImportOptions } from '../../../src/cli/feedback.js';
import { parseInitOptions } from '../../../src/cli/init.js';
import { parseTestOptions, type TestFlags } from '../../../src/cli/provider.js';
import { parseSegmentCountOptions, parseSegmentCreateOptions, parseSegmentListOptions, parseSegmentPreviewOptions } from '../../../src/cli/segment.js';
import { parseServeOptions } from '../../../src/cli/serve.js';
import { parseSuppressAddOptions, parseSuppressImportOptions, parseSuppressListOptions, parseSuppressRemoveOptions } from '../../../src/cli/suppress.js';
import { parseRenderOptions } from '../../../src/cli/template.js';
import { UsageError } from '../../../src/errors.js';

const run = { throttle: undefined, concurrency: undefined, limit: undefined, dryRun: undefined, retryFailed: undefined, retryUnknown: undefined, maxDrift: undefined, graceMs: 30_000 };

describe('campaign send', () => {
  const ok: Array<[string, string[], SendFlags, ReturnType<typeof parseSendOptions>]> = [
    ['a name', ['spring'], { grace: 30 }, { target: { due: false, name: 'spring' }, confirmed: false, run }],
    ['--due', [], { due: true, grace: 30 }, { target: { due: true }, confirmed: false, run }],
    ['--yes confirms', ['spring'], { yes: true, grace: 30 }, { target: { due: false, name: 'spring' }, confirmed: true, run }],
    ['--dry-run needs no confirmation', ['spring'], { dryRun: true, grace: 30 }, { target: { due: false, name: 'spring' }, confirmed: true, run: { ...run, dryRun: true } }],
    ['--grace in seconds becomes ms', ['spring'], { grace: 0 }, { target: { due: false, name: 'spring' }, confirmed: false, run: { ...run, graceMs: 0 } }],
    [
      'every run flag passes through',
      ['spring'],
      { throttle: '50/s', concurrency: 8, limit: 100, retryFailed: true, retryUnknown: true, maxDrift: 2.5, grace: 5 },
      { target: { due: false, name: 'spring' }, confirmed: false, run: { throttle: '50/s', concurrency: 8, limit: 100, dryRun: undefined, retryFailed: true, retryUnknown: true, maxDrift: 2.5, graceMs: 5000 } },
    ],
  ];
  it.each(ok)('%s', (_, args, flags, want) => expect(parseSendOptions(args, flags)).toEqual(want));

  const bad: Array<[string, string[], SendFlags, RegExp]> = [
    ['neither a name nor --due', [], { grace: 30 }, /give its name, or --due/],
    ['both a name and --due', ['spring'], { due: true, grace: 30 }, /either a campaign name or --due, not both/],
  ];
  it.each(bad)('%s is a usage error', (_, args, flags, message) => {
    expect(() => parseSendOptions(args, flags)).toThrow(UsageError);
    expect(() => parseSendOptions(args, flags)).toThrow(message);
  });
});

describe('campaign create', () => {
  it.each([
    ['flags', { name: 'spring', channel: 'email', segment: 'all' }, { given: { name: 'spring', channel: 'email', segment: 'all' }, allowPast: false }],
    ['no flags (all asked)', {}, { given: {}, allowPast: false }],
    ['--file wins over flags', { file: 'campaigns/spring.yaml', name: 'other' }, { file: 'campaigns/spring.yaml', allowPast: false }],
    ['--now accepts a past --schedule', { name: 's', schedule: '2020-01-01T00:00:00Z', now: true }, { given: { name: 's', schedule: '2020-01-01T00:00:00Z' }, allowPast: true }],
  ])('%s', (_, flags, want) => expect(parseCreateOptions(flags)).toEqual(want));
});

describe('campaign test', () => {
  it.each([
    ['--to list, trimmed', { to: 'a@x.example, b@y.example,' }, { to: ['a@x.example', 'b@y.example'], prefix: true }],
    ['no --to: proof_list', {}, { to: [], prefix: true }],
    ['--no-prefix and --customer', { prefix: false, customer: '42' }, { to: [], customer: '42', prefix: false }],
  ])('%s', (_, flags, want) => expect(parseProofOptions(flags)).toEqual(want));
});

describe('campaign apply', () => {
  it.each([
    ['every file', [], {}, { files: [], dryRun: false, allowPast: false }],
    ['named files, --dry-run --now', ['campaigns/a.yaml'], { dryRun: true, now: true }, { files: ['campaigns/a.yaml'], dryRun: true, allowPast: true }],
  ])('%s', (_, files, flags, want) => expect(parseApplyOptions(files, flags)).toEqual(want));
});

describe('campaign check and prepare', () => {
  it.each([
    ['a name', {}, { name: 'spring', refresh: false }],
    ['--budget', { budget: 12.5 }, { name: 'spring', budget: 12.5, refresh: false }],
    ['a budget of 0 is a budget', { budget: 0 }, { name: 'spring', budget: 0, refresh: false }],
    ['--refresh', { refresh: true }, { name: 'spring', refresh: true }],
  ])('%s', (_, flags, want) => expect(parsePreflightOptions('spring', flags)).toEqual(want));
});

describe('campaign report', () => {
  it.each([
    ['defaults: rows not asked for', { format: 'csv' as const, state: [] }, { name: 'spring', format: 'csv', states: [], rowsAsked: false }],
    ['--out asks for rows', { format: 'json' as const, state: [], out: 'r.json' }, { name: 'spring', format: 'json', out: 'r.json', states: [], rowsAsked: true }],
    ['--limit asks for rows', { format: 'csv' as const, state: ['sent,failed', 'unknown'], limit: 20 }, { name: 'spring', format: 'csv', states: ['sent,failed', 'unknown'], limit: 20, rowsAsked: true }],
    ['--html writes the page', { format: 'csv' as const, state: [], html: 'r.html' }, { name: 'spring', format: 'csv', states: [], rowsAsked: false, html: 'r.html' }],
  ])('%s', (_, flags, want) => expect(parseReportOptions('spring', flags)).toEqual(want));
});

describe('campaign status', () => {
  it.each([
    ['one reading', { interval: 2 }, { name: 'spring' }],
    ['--interval is ignored without --watch', { interval: 9 }, { name: 'spring' }],
    ['--watch every 5 s', { watch: true, interval: 5 }, { name: 'spring', watchMs: 5000 }],
  ])('%s', (_, flags, want) => expect(parseStatusOptions('spring', flags)).toEqual(want));
});

describe('provider test', () => {
  const ok: Array<[string, TestFlags, ReturnType<typeof parseTestOptions>]> = [
    ['--text', { to: 'a@example.com', text: 'hi' }, { to: 'a@example.com', send: { name: 'ses', to: 'a@example.com', text: 'hi' } }],
    ['--text with --subject and --from', { to: 'a@example.com', text: 'hi', subject: 'S', from: 'news@example.com' }, { to: 'a@example.com', send: { name: 'ses', to: 'a@example.com', text: 'hi', subject: 'S', from: 'news@example.com' } }],
    ['--template', { to: 'a@example.com', template: 'welcome' }, { to: 'a@example.com', template: 'welcome', send: { name: 'ses', to: 'a@example.com' } }],
    ['--template with --customer', { to: 'a@example.com', template: 'welcome', customer: '42' }, { to: 'a@example.com', template: 'welcome', customer: '42', send: { name: 'ses', to: 'a@example.com' } }],
  ];
  it.each(ok)('%s', (_, flags, want) => expect(parseTestOptions('ses', flags)).toEqual(want));

  const bad: Array<[string, TestFlags, RegExp]> = [
    ['no --to', { text: 'hi' }, /missing --to/],
    ['neither --template nor --text', { to: 'a@example.com' }, /either --template <name> or --text/],
    ['an empty --text counts as none', { to: '+447911123456', text: '' }, /either --template <name> or --text/],
    ['both --template and --text', { to: 'a@example.com', template: 'welcome', text: 'hi' }, /either --template <name> or --text/],
    ['--customer without --template', { to: 'a@example.com', text: 'hi', customer: '42' }, /--customer goes with --template/],
  ];
  it.each(bad)('%s is a usage error', (_, flags, message) => {
    expect(() => parseTestOptions('ses', flags)).toThrow(UsageError);
    expect(() => parseTestOptions('ses', flags)).toThrow(message);
  });
});

describe('template render', () => {
  it.each([
    ['--customer', { customer: 'ana@example.com' }, { name: 'welcome', vars: { customer: 'ana@example.com' }, text: false }],
    ['--data is resolved against the working directory', { data: 'vars.json', text: true }, { name: 'welcome', vars: { data: '/work/here/vars.json', shown: 'vars.json' }, text: true }],
    ['--out is resolved too', { customer: '1', out: 'out/w.html' }, { name: 'welcome', vars: { customer: '1' }, out: '/work/here/out/w.html', text: false }],
  ])('%s', (_, flags, want) => expect(parseRenderOptions('welcome', flags, '/work/here')).toEqual(want));

  it.each([
    ['neither', {}],
    ['both', { customer: '1', data: 'vars.json' }],
  ])('%s of --customer and --data is a usage error', (_, flags) => expect(() => parseRenderOptions('welcome', flags, '/work/here')).toThrow(/exactly one of --customer/));
});

describe('customers import', () => {
  const none = { map: new Map(), strict: false, dryRun: false };
  it.each([
    ['only the file', {}, { file: 'c.csv', ...none }],
    ['--strict and --dry-run', { strict: true, dryRun: true }, { file: 'c.csv', ...none, strict: true, dryRun: true }],
    ['--format, --delimiter, --default-country, --rejects', { format: 'csv' as const, delimiter: ';', defaultCountry: 'de', rejects: 'bad.csv' }, { file: 'c.csv', ...none, format: 'csv', delimiter: ';', defaultCountry: 'de', rejectsFile: 'bad.csv' }],
  ])('%s', (_, flags, want) => expect(parseImportOptions('c.csv', flags)).toEqual(want));

  it('--map becomes the column map, keyed by the column as compared', () => {
    const o = parseImportOptions('c.csv', { map: ['Kundennummer=external_id', 'Notes=-', 'Tier=attributes.plan'] });
    expect([...o.map]).toEqual([
      ['kundennummer', { kind: 'field', field: 'external_id', source: 'Kundennummer' }],
      ['notes', { kind: 'ignore', source: 'Notes' }],
      ['tier', { kind: 'attribute', name: 'plan', source: 'Tier' }],
    ]);
  });
  it('a --map to an unknown field is a usage error', () => expect(() => parseImportOptions('c.csv', { map: ['A=nope'] })).toThrow(UsageError));
});

describe('customers list and seed', () => {
  it('list passes --limit and --offset', () => expect(parseListOptions({ limit: 5, offset: 10 })).toEqual({ limit: 5, offset: 10 }));
  it.each([
    ['defaults', { count: 1000, seed: 1 }, {}, { count: 1000, seed: 1, replace: false, confirmed: false }],
    ['--replace --yes', { count: 10, seed: 7, replace: true, yes: true }, {}, { count: 10, seed: 7, replace: true, confirmed: true }],
    ['MKT_NOW dates the rows', { count: 10, seed: 1 }, { MKT_NOW: '2025-03-01T00:00:00Z' }, { count: 10, seed: 1, replace: false, confirmed: false, datedFrom: new Date('2025-03-01T00:00:00Z') }],
    ['an unreadable MKT_NOW does not', { count: 10, seed: 1 }, { MKT_NOW: 'soon' }, { count: 10, seed: 1, replace: false, confirmed: false }],
  ])('seed: %s', (_, flags, env, want) => expect(parseSeedOptions(flags, env)).toEqual(want));
});

describe('segment', () => {
  it.each([
    ['list', parseSegmentListOptions({}), { count: false }],
    ['list --count', parseSegmentListOptions({ count: true }), { count: true }],
    ['count', parseSegmentCountOptions('vip', {}), { name: 'vip' }],
    ['count --by', parseSegmentCountOptions('vip', { by: 'country' }), { name: 'vip', by: 'country' }],
    ['preview: default columns', parseSegmentPreviewOptions('vip', { limit: 10 }), { name: 'vip', limit: 10, columns: ['id', 'email', 'phone', 'first_name', 'last_name', 'country', 'lifetime_value'] }],
    ['preview --fields: empty entries dropped, columns trimmed', parseSegmentPreviewOptions('vip', { limit: 3, fields: 'email, country,,' }), { name: 'vip', limit: 3, fields: ['email', ' country'], columns: ['id', 'email', 'country'] }],
    ['create --rule', parseSegmentCreateOptions('vip', { rule: ['ltv gt 500'], force: true }), { from: 'rules', name: 'vip', rules: ['ltv gt 500'], force: true }],
    ['create without --rule asks', parseSegmentCreateOptions(undefined, { rule: [], description: 'big spenders' }), { from: 'prompts', description: 'big spenders', force: false }],
  ])('%s', (_, got, want) => expect(got).toEqual(want));
  it('create --rule without a name is a usage error', () => {
    expect(() => parseSegmentCreateOptions(undefined, { rule: ['ltv gt 500'] })).toThrow(UsageError);
    expect(() => parseSegmentCreateOptions(undefined, { rule: ['ltv gt 500'] })).toThrow(/needs the segment name/);
  });
});

describe('suppress', () => {
  it.each([
    ['add', parseSuppressAddOptions('a@example.com', { reason: 'manual' }), { address: 'a@example.com', reason: 'manual' }],
    ['add --channel --reason --note', parseSuppressAddOptions('+447911123456', { channel: 'sms', reason: 'complaint', note: 'asked by phone' }), { address: '+447911123456', channel: 'sms', reason: 'complaint', note: 'asked by phone' }],
    ['remove', parseSuppressRemoveOptions('a@example.com', {}), { address: 'a@example.com', confirmed: false }],
    ['remove --channel --yes', parseSuppressRemoveOptions('a@example.com', { channel: 'email', yes: true }), { address: 'a@example.com', channel: 'email', confirmed: true }],
    ['list', parseSuppressListOptions({}), {}],
    ['list --channel', parseSuppressListOptions({ channel: 'whatsapp' }), { channel: 'whatsapp' }],
    ['import', parseSuppressImportOptions('s.csv', { reason: 'manual' }), { file: 's.csv', reason: 'manual' }],
    ['import --channel --reason --format', parseSuppressImportOptions('s.txt', { channel: 'sms', reason: 'bounced', format: 'csv' }), { file: 's.txt', channel: 'sms', reason: 'bounced', format: 'csv' }],
  ])('%s', (_, got, want) => expect(got).toEqual(want));
});

describe('serve, feedback, init, db, demo', () => {
  const where = { cwd: '/work/here', workspace: '/work/ws' };
  it.each([
    ['serve', parseServeOptions({ port: 8025, host: '127.0.0.1' }), { port: 8025, host: '127.0.0.1' }],
    ['feedback import', parseFeedbackImportOptions('events.jsonl', {}), { file: 'events.jsonl' }],
    ['feedback import --source', parseFeedbackImportOptions('events.json', { source: 'ses' }), { file: 'events.json', source: 'ses' }],
    ['init: where the user stands', parseInitOptions(undefined, {}, where), { target: '/work/here' }],
    ['init [dir], against the working directory', parseInitOptions('shop', {}, where), { target: '/work/here/shop' }],
    ['init --workspace', parseInitOptions(undefined, { workspace: '../ws' }, where), { target: '/work/ws' }],
    ['db backup', parseBackupOptions('copy.db', {}, '/work/here'), { target: '/work/here/copy.db', force: false }],
    ['db backup --force', parseBackupOptions('/tmp/copy.db', { force: true }, '/work/here'), { target: '/tmp/copy.db', force: true }],
    ['db copy', parseCopyOptions('a.db', 'postgres://h/db', {}), { source: 'a.db', target: 'postgres://h/db', replace: false, yes: false }],
    ['db copy --replace --yes', parseCopyOptions('postgres://h/db', 'a.db', { replace: true, yes: true }), { source: 'postgres://h/db', target: 'a.db', replace: true, yes: true }],
    ['demo defaults', parseDemoOptions({ customers: 2000, seed: 1, throttle: '100/s' }, where), { dir: '/work/ws/.mkt/demo', customers: 2000, seed: 1, throttle: '100/s' }],
    ['demo --dir', parseDemoOptions({ dir: 'd', customers: 5, seed: 2, throttle: '10/s' }, where), { dir: '/work/here/d', customers: 5, seed: 2, throttle: '10/s' }],
  ])('%s', (_, got, want) => expect(got).toEqual(want));
});
