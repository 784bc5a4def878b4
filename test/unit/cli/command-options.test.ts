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
import { parseTestOptions, type TestFlags } from '../../../src/cli/provider.js';
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
