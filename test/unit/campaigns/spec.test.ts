/**
 * Campaign files (`campaign create --file`): the zod schema and the workspace toolkit report
 * every problem at its file:line:col, in the order written, and refuse alias bombs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSpecFile, validateSpec } from '../../../src/campaigns/spec.js';
import { InputError } from '../../../src/errors.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-spec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function problem(name: string, text: string): Promise<InputError> {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  const e = await readSpecFile(file).then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(InputError);
  return e as InputError;
}

describe('campaign files', () => {
  it('reads a spec; the name defaults to the file name', async () => {
    const file = path.join(dir, 'spring.yaml');
    writeFileSync(file, 'channel: sms\nsegment: all\nprovider: p\ntemplate: t\nthrottle: 5/s\n');
    expect(await readSpecFile(file)).toEqual({ name: 'spring', channel: 'sms', segment: 'all', provider: 'p', template: 't', throttle: '5/s' });
  });

  it('every problem, in the order written, then what is missing', async () => {
    const e = await problem('bad.yaml', 'throttle: fast\nname: Bad Name\nextra: 1\nchannel: fax\nprovider: 3\n');
    expect(e.code).toBe('bad_campaign');
    const f = path.join(dir, 'bad.yaml');
    expect(e.message.split('\n')).toEqual([
      `${f}:1:11: throttle "fast" is not a rate (e.g. 50/s, 600/m)`,
      `${f}:2:7: name "Bad Name" must be a slug: lower-case letters, digits, - and _ (at most 64)`,
      `${f}:3:1: unknown key "extra" (known: name, channel, segment, provider, template, schedule, throttle, distribution, concurrency, send_at_local, recurring, variants, test, tracking)`,
      `${f}:4:10: channel "fax" must be email, sms or whatsapp`,
      `${f}:5:11: provider must be a string`,
      `${f}:1:1: missing segment`,
      `${f}:1:1: missing template`,
    ]);
  });

  it('a list where a name belongs is reported at the list, not as missing', async () => {
    const e = await problem('list.yaml', 'channel: sms\nsegment: all\nprovider: p\ntemplate: [a, b]\n');
    expect(e.message).toBe(`${path.join(dir, 'list.yaml')}:4:11: template must be a string`);
  });

  it('an alias bomb is refused at the first alias as a YAML problem', async () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]', 'template: [*d, *d, *d, *d, *d, *d, *d, *d, *d]', ''].join('\n');
    const e = await problem('bomb.yaml', bomb);
    expect(e.code).toBe('bad_yaml');
    expect(e.message).toMatch(new RegExp(`^${path.join(dir, 'bomb.yaml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:8: YAML: .*too many alias expansions`));
  });

  it('a syntax error names its position (bad_yaml)', async () => {
    const e = await problem('dup.yaml', 'name: a\nname: b\n');
    expect([e.code, e.message]).toEqual(['bad_yaml', `${path.join(dir, 'dup.yaml')}:2:1: Map keys must be unique`]);
  });

  it('flags: field problems first, then missing ones, joined by "; "', () => {
    expect(() => validateSpec({ name: 'A', channel: 'x', schedule: 3 })).toThrow(
      'name "A" must be a slug: lower-case letters, digits, - and _ (at most 64); channel "x" must be email, sms or whatsapp; schedule must be a string; missing segment; missing provider; missing template',
    );
  });

  it('tracking: is read, and its problems name line and field (a UTM value is checked as Liquid)', async () => {
    const ok = path.join(dir, 'tracked.yaml');
    writeFileSync(ok, 'channel: email\nsegment: s\nprovider: p\ntemplate: t\ntracking: { individual: true, utm: false }\n');
    expect((await readSpecFile(ok)).tracking).toEqual({ individual: true, utm: false });
    const e = await problem('tracked-bad.yaml', 'channel: email\nsegment: s\nprovider: p\ntemplate: t\ntracking:\n  opens: often\n  utm:\n    medium: "{{ chanel }}"\n');
    const f = path.join(dir, 'tracked-bad.yaml');
    const lines = e.message.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:6:10: tracking\\.opens: `));
    expect(e.message).not.toContain('chanel'); // the schema problem comes first; Liquid is checked once the shape is right
    const liquid = await problem('tracked-liquid.yaml', 'channel: email\nsegment: s\nprovider: p\ntemplate: t\ntracking:\n  utm:\n    medium: "{{ chanel }}"\n');
    expect(liquid.message).toMatch(/tracked-liquid\.yaml:7:13: tracking\.utm\.medium: Liquid: .*chanel/);
  });
});

describe('campaign files: operator workflow settings (issue 16)', () => {
  it('reads send_at_local, recurring, variants and test', async () => {
    const file = path.join(dir, 'ab.yaml');
    writeFileSync(
      file,
      'channel: email\nsegment: all\nprovider: p\ntemplate: t\nsend_at_local: "09:00"\nrecurring: { every: 1d }\n' +
        'variants:\n  a: { subject: "Spring sale" }\n  b: { subject: "{{ first_name }}, picks", template: email/t-b, weight: 2 }\n' +
        'test: { fraction: 20%, metric: clicks, wait: 4h }\n',
    );
    expect(await readSpecFile(file)).toEqual({
      name: 'ab',
      channel: 'email',
      segment: 'all',
      provider: 'p',
      template: 't',
      send_at_local: '09:00',
      recurring: { every: '1d' },
      variants: { a: { subject: 'Spring sale' }, b: { subject: '{{ first_name }}, picks', template: 'email/t-b', weight: 2 } },
      test: { fraction: '20%', metric: 'clicks', wait: '4h' },
    });
  });

  it('names each bad value at its line and column', async () => {
    const e = await problem(
      'ab-bad.yaml',
      'channel: email\nsegment: all\nprovider: p\ntemplate: t\nsend_at_local: "9am"\nrecurring: { every: daily }\nvariants:\n  a: { subject: x }\ntest: { fraction: 120%, metric: replies, wait: 4h }\n',
    );
    const f = path.join(dir, 'ab-bad.yaml');
    expect(e.message.split('\n')).toEqual([
      `${f}:5:16: send_at_local "9am" must be a local time HH:MM, e.g. "09:00"`,
      `${f}:6:21: recurring.every: "daily" must be a duration such as 1d, 12h or 30m`,
      `${f}:8:3: variants: an A/B test needs at least two variants`,
      `${f}:9:19: test.fraction: "120%" must be a percentage above 0 and below 100, e.g. 20%`,
      `${f}:9:33: test.metric: must be clicks, opens, delivered`,
    ]);
  });
});
