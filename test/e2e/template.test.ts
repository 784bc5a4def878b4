import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { scriptedPrompter } from '../support/prompter.js';
import { bufferIo } from '../support/buffer-io.mjs';
import { runCli, tempWorkspace } from '../support/cli.js';

const ws = tempWorkspace(true);
const run = (args: string[]) => runCli(['-w', ws.dir, ...args], { env: { MKT_NOW: '2026-04-01T09:00:00Z' } });

beforeAll(() => {
  expect(run(['customers', 'seed', '--count', '50']).code).toBe(0);
});
afterAll(() => ws.cleanup());

describe('mkt template list / validate', () => {
  it('lists the samples with channel and summary', () => {
    const r = run(['template', 'list', '--json']);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as Array<{ name: string; channel: string; file: string; summary: string }>;
    expect(list.map((t) => `${t.channel}/${t.name}`)).toEqual(['email/spring-sale', 'email/welcome', 'sms/flash-sale', 'whatsapp/spring_sale']);
    expect(list[3]!.summary).toBe('Hi {{1}}, your {{2}} code is inside. Valid until Sunday.');
  });

  it('the human table shows a quoted subject as its text, without the YAML escapes; --json holds the same text', () => {
    const own = tempWorkspace();
    try {
      mkdirSync(path.join(own.dir, 'templates', 'email'), { recursive: true });
      writeFileSync(
        path.join(own.dir, 'templates', 'email', 'hi.mjml'),
        '---\nsubject: "Hi \\"friend\\", it\'s {{ first_name }}"\n---\n<mjml><mj-body><mj-section><mj-column><mj-text>x <a href="{{ unsubscribe_url }}">u</a></mj-text></mj-column></mj-section></mj-body></mjml>\n',
      );
      const human = runCli(['-w', own.dir, 'template', 'list']);
      expect(human.code, human.stderr).toBe(0);
      expect(human.stdout).toContain(`email    Hi "friend", it's {{ first_name }}`);
      expect(human.stdout).not.toContain('\\');
      const json = JSON.parse(runCli(['-w', own.dir, 'template', 'list', '--json']).stdout) as Array<{ summary: string }>;
      expect(json[0]!.summary).toBe(`Hi "friend", it's {{ first_name }}`);
    } finally {
      own.cleanup();
    }
  });

  it('the samples validate', () => {
    const r = run(['template', 'validate', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, errors: [], warnings: [] });
  });

  it('reports every error of every template in one run and exits 65; warnings go to stderr', () => {
    const bad = tempWorkspace();
    try {
      const files: Record<string, string> = {
        'templates/sms/a.txt': 'Hi {{ frist_name }} it’s on\n',
        'templates/whatsapp/b.yaml': 'name: b\nlanguage: en_US\ncategory: MARKETING\nbody: "Hi {{1}}"\nparameters: []\n',
        'templates/email/c.mjml': '---\nsubject: x\n---\n<mjml><mj-body><mj-section><mj-column><mj-text>no link</mj-text></mj-column></mj-section></mj-body></mjml>\n',
      };
      for (const [rel, text] of Object.entries(files)) {
        const abs = path.join(bad.dir, rel);
        mkdirSync(path.dirname(abs), { recursive: true });
        writeFileSync(abs, text);
      }
      const r = runCli(['-w', bad.dir, 'template', 'validate']);
      expect(r.code).toBe(65);
      expect(r.stdout).toContain('templates/sms/a.txt:1:7: unknown variable "frist_name"');
      expect(r.stdout).toContain('templates/whatsapp/b.yaml:4:7: the body has 1 placeholder(s) but 0 parameter(s) are given');
      expect(r.stdout).toContain('templates/email/c.mjml: a marketing email must contain {{ unsubscribe_url }}');
      expect(r.stdout).toContain('3 template(s) checked: 3 error(s), 1 warning(s)');
      expect(r.stderr).toContain('templates/sms/a.txt:1:23: U+2019 ’ is not in the GSM-7 alphabet');
      // a broken template also refuses to render, naming file:line:col
      writeFileSync(path.join(bad.dir, 'v.json'), '{}');
      const one = runCli(['-w', bad.dir, 'template', 'render', 'a', '--data', path.join(bad.dir, 'v.json')]);
      expect(one.code).toBe(65);
      expect(one.stderr).toContain('templates/sms/a.txt:1:7: unknown variable "frist_name"');
    } finally {
      bad.cleanup();
    }
  });
});

describe('mkt template render', () => {
  it('email: exact JSON keys, HTML to --out', () => {
    const out = path.join(ws.dir, 'out.html');
    const r = run(['template', 'render', 'spring-sale', '--customer', '1', '--out', out, '--json']);
    expect(r.code).toBe(0);
    const v = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['channel', 'subject', 'html', 'text', 'bytes']);
    expect(readFileSync(out, 'utf8')).toBe(v.html);
    expect(v.bytes).toBe(Buffer.byteLength(v.html as string));
    expect(v.text).toContain('Unsubscribe [');
  });

  it('email with --out: one "written to" line, From, Subject, Preheader; the text part only with --text', () => {
    const out = path.join(ws.dir, 'human.html');
    const r = run(['template', 'render', 'spring-sale', '--customer', '1', '--out', out]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(new RegExp(`^written to ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(\\d+ bytes of HTML\\)$`));
    expect(lines.slice(1).map((l) => l.split(':')[0])).toEqual(['From', 'Subject', 'Preheader']);
    const withText = run(['template', 'render', 'spring-sale', '--customer', '1', '--out', out, '--text']);
    expect(withText.stdout.startsWith(r.stdout)).toBe(true);
    expect(withText.stdout).toContain('Unsubscribe [');
  });

  it('sms and whatsapp: exact JSON keys', () => {
    const sms = JSON.parse(run(['template', 'render', 'sms/flash-sale', '--customer', '2', '--json']).stdout) as Record<string, unknown>;
    expect(Object.keys(sms)).toEqual(['channel', 'text', 'encoding', 'segments', 'characters']);
    const wa = JSON.parse(run(['template', 'render', 'spring_sale', '--customer', '3', '--json']).stdout) as Record<string, any>;
    expect(Object.keys(wa)).toEqual(['channel', 'text', 'meta', 'twilio']);
    expect(wa.meta.name).toBe('spring_sale');
    expect(JSON.parse(wa.twilio.contentVariables)).toHaveProperty('1');
  });

  it('--data renders from a JSON file; a broken JSON file is 65 with its position', () => {
    const data = path.join(ws.dir, 'vars.json');
    writeFileSync(data, JSON.stringify({ first_name: 'Kim', attributes: { plan: 'pro' } }));
    const r = run(['template', 'render', 'flash-sale', '--data', data]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Northwind: Kim, our Spring');
    expect(r.stdout).toMatch(/GSM-7 · \d+ characters · 1 segment/);
    writeFileSync(data, '{\n  "first_name": "Kim",\n}');
    const bad = run(['template', 'render', 'flash-sale', '--data', data]);
    expect(bad.code).toBe(65);
    expect(bad.stderr).toContain('vars.json:3:');
  });

  it('usage and input errors: both or neither source is 64, unknown customer / template 65, render error 65', () => {
    expect(run(['template', 'render', 'flash-sale']).code).toBe(64);
    expect(run(['template', 'render', 'flash-sale', '--customer', '1', '--data', 'x.json']).code).toBe(64);
    const nobody = run(['template', 'render', 'flash-sale', '--customer', 'nobody@example.com']);
    expect(nobody.code).toBe(65);
    expect(nobody.stderr).toContain('no customer matches');
    const missing = run(['template', 'render', 'nope', '--customer', '1']);
    expect(missing.code).toBe(65);
    expect(missing.stderr).toContain('no template "nope"');
    const data = path.join(ws.dir, 'long.json');
    writeFileSync(data, JSON.stringify({ first_name: 'ж'.repeat(200) }));
    const long = run(['template', 'render', 'flash-sale', '--data', data]);
    expect(long.code).toBe(65);
    expect(long.stderr).toContain('max_segments is 3');
  });
});

describe('mkt template new (flag path): every scaffold validates and renders', () => {
  const data = () => {
    const f = path.join(ws.dir, 'demo.json');
    writeFileSync(f, JSON.stringify({ id: 9, first_name: 'Demo', email: 'demo@example.com', external_id: 'D-9', attributes: { plan: 'pro' } }));
    return f;
  };

  it('email (3 layouts), sms and whatsapp via flags: created, validated, rendered', async () => {
    const cases: Array<[string, string, string[]]> = [
      ['email', 'news-a', ['--layout', 'newsletter', '--subject', 'News for {{ first_name | default: "you" }}', '--preheader', 'This month']],
      ['email', 'announce-a', ['--layout', 'announcement', '--subject', 'Big news']],
      ['email', 'letter-a', ['--layout', 'letter', '--subject', 'A letter']],
      ['sms', 'promo-a', ['--text', 'Hi {{ first_name | default: "there" }}, 20% off today', '--footer', 'Reply STOP to opt out']],
      ['whatsapp', 'promo-b', ['--template-name', 'promo_b', '--body', 'Hi {{1}}, your {{2}} offer', '--param', "{{ first_name | default: 'there' }}", '--param', '{{ attributes.plan | upcase }}', '--content-sid', 'HX0123456789abcdef0123456789abcdef']],
    ];
    for (const [channel, name, flags] of cases) {
      const r = run(['template', 'new', channel, name, ...flags, '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ channel, name });
    }
    const names = cases.map(([c, n]) => `${c}/${n}`);
    const v = run(['template', 'validate', ...names, '--json']);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ ok: true, checked: names, errors: [] });
    // rendering in-process (same CLI code, no process start-up per template)
    for (const [channel, name] of cases) {
      const io = bufferIo();
      const code = await main(['node', 'mkt', '-w', ws.dir, 'template', 'render', `${channel}/${name}`, '--data', data(), '--json'], io);
      expect(io.err()).toBe('');
      expect(code).toBe(0);
      expect(JSON.parse(io.out()).channel).toBe(channel);
    }
  });

  it('without a terminal a missing required flag is a usage error naming it; nothing is written', () => {
    const r = run(['template', 'new', 'email', 'nosubject']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('missing --subject');
    expect(existsSync(path.join(ws.dir, 'templates/email/nosubject.mjml'))).toBe(false);
  });

  it('a scaffold that would not validate is refused (65) and not kept; an existing file needs --force', () => {
    const r = run(['template', 'new', 'email', 'broken', '--subject', 'Hi {{ first_name | nope }}']);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('undefined filter: nope');
    expect(existsSync(path.join(ws.dir, 'templates/email/broken.mjml'))).toBe(false);
    expect(run(['template', 'new', 'sms', 'promo-a', '--text', 'again']).code).toBe(64);
    expect(run(['template', 'new', 'whatsapp', 'wa-bad', '--body', 'Hi {{1}}', '--param', 'a', '--param', 'b']).code).toBe(64);
  });
});

describe('mkt template new (interactive, scripted prompter)', () => {
  const interactive = async (args: string[], answers: unknown[]) => {
    const io = bufferIo({ MKT_NOW: '2026-04-01T09:00:00Z' });
    const prompter = scriptedPrompter(answers);
    const code = await main(['node', 'mkt', '-w', ws.dir, 'template', 'new', ...args], io, { prompter });
    return { code, out: io.out(), err: io.err(), asked: prompter.asked };
  };

  it('email: layout, subject, preheader', async () => {
    const r = await interactive(['email', 'i-email'], ['announcement', 'Hello {{ first_name | default: "you" }}', 'Preview']);
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(ws.dir, 'templates/email/i-email.mjml'), 'utf8')).toContain('subject: "Hello {{ first_name | default: \\"you\\" }}"');
  });

  it('sms: shows encoding, characters and segments after each edit, warns about UCS-2, then confirms', async () => {
    const r = await interactive(['sms', 'i-sms'], ['It’s sale time {{ first_name | default: "" }}', false, 'It is sale time', true, true, 'Reply STOP to opt out']);
    expect(r.code).toBe(0);
    expect(r.err).toContain('UCS-2 · 18 characters · 1 segment');
    expect(r.err).toContain('U+2019 ’');
    expect(r.err).toContain('GSM-7 · 15 characters · 1 segment');
    expect(r.err).toContain('GSM-7 · 37 characters · 1 segment'); // with the footer
    expect(readFileSync(path.join(ws.dir, 'templates/sms/i-sms.txt'), 'utf8')).toBe('---\nopt_out_footer: "Reply STOP to opt out"\n---\nIt is sale time\n');
  });

  it('whatsapp: name, language, category, body, a field per placeholder (or own Liquid), content sid', async () => {
    const r = await interactive(['whatsapp', 'i-wa'], ['i_wa', 'en_GB', 'UTILITY', 'Hi {{1}}, order {{2}} shipped', "{{ first_name | default: 'there' }}", '', '{{ order_count | default: 0 }}', '']);
    expect(r.code).toBe(0);
    expect(r.asked).toContain('Value for {{2}}');
    const yaml = readFileSync(path.join(ws.dir, 'templates/whatsapp/i-wa.yaml'), 'utf8');
    expect(yaml).toContain('"{{ order_count | default: 0 }}"');
    expect(yaml).toContain('category: "UTILITY"');
  });
});
