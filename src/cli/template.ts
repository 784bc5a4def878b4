import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { CHANNELS, isChannel } from '../channels.js';
import { InputError, UsageError } from '../errors.js';
import { renderTable } from '../output/table.js';
import type { Rendered, TemplateVars } from '../templates/contract.js';
import type { CliContext } from './context.js';
import { CATEGORIES, languageProblem } from '../templates/whatsapp-vocabulary.js';
import { checkedFlag, choiceFlag, collect, maxSegments } from './options.js';
import type { ActionFactory } from './run.js';
import { count } from '../util/plural.js';

interface RenderOpts {
  customer?: string;
  data?: string;
  out?: string;
  text?: boolean;
}

interface PreviewOpts {
  customer?: string;
  open?: boolean;
}

interface NewOpts {
  layout?: string;
  subject?: string;
  preheader?: string;
  text?: string;
  footer?: string;
  maxSegments?: number;
  templateName?: string;
  language?: string;
  category?: string;
  body?: string;
  param?: string[];
  contentSid?: string;
  force?: boolean;
}

export function registerTemplate(program: Command, action: ActionFactory): void {
  const group = program.command('template').description('message templates: email (MJML), SMS, WhatsApp: list, validate, render, new');

  group
    .command('list')
    .description('every template: name, channel and subject / first line')
    .action(
      action(async (ctx) => {
        const { listTemplates } = await import('../templates/index.js');
        const list = await listTemplates(ctx.workspace);
        ctx.result(list, (l) => (l.length === 0 ? 'no templates in templates/\n' : renderTable(['name', 'channel', 'summary'], l.map((t) => [t.name, t.channel, t.summary]))));
      }),
    );

  group
    .command('validate')
    .description('check all templates (or the named ones); every problem in one run, exit 65 on any error')
    .argument('[names...]', 'template names (name or channel/name)')
    .action(
      action(async (ctx, names) => {
        const { validateTemplates } = await import('../templates/index.js');
        const { formatDiagnostic } = await import('../templates/diagnostics.js');
        const r = await validateTemplates(ctx.workspace, names, { trackingBaseUrl: await trackingBaseUrl(ctx) });
        for (const w of r.warnings) ctx.warn(formatDiagnostic(w));
        const result = { ok: r.errors.length === 0, checked: r.checked, errors: r.errors, warnings: r.warnings };
        ctx.result(result, (v) => {
          const lines = v.errors.map((e) => `${formatDiagnostic(e)}\n`).join('');
          return `${lines}${v.checked.length} template(s) checked: ${v.errors.length} error(s), ${v.warnings.length} warning(s)\n`;
        });
        return r.errors.length > 0 ? 'input' : 'ok';
      }),
    );

  group
    .command('render')
    .description('render a template for one customer (or a JSON file of variables) and show what would be sent')
    .argument('<name>', 'template name (name or channel/name)')
    .option('--customer <key>', 'customer id, external id, email or phone from the store')
    .option('--data <file>', 'JSON file with the variables (customer fields, attributes, campaign, unsubscribe_url, now)')
    .option('--out <file>', 'write the email HTML (SMS: the text; WhatsApp: both payloads as JSON) to this file')
    .option('--text', "email: print the plain-text part too")
    .action(action<RenderOpts>(async (ctx, [name], opts) => renderCommand(ctx, name!, opts)));

  group
    .command('preview')
    .description('render a template, write the page to .mkt/preview/ and show what an inbox shows (From, subject, preheader, size; SMS encoding and segments)')
    .argument('<name>', 'template name (name or channel/name)')
    .option('--customer <key>', 'customer id, external id, email or phone from the store (default: the demo customer)')
    .option('--open', 'open the page in the browser')
    .action(action<PreviewOpts>(async (ctx, [name], opts) => previewCommand(ctx, name!, opts)));

  group
    .command('new')
    .description('write a new template that validates: interactive on a terminal, or all by flags')
    .argument('<channel>', CHANNELS.join(' | '))
    .argument('<name>', 'file name (lower-case, digits, - and _)')
    .option('--layout <layout>', 'email: newsletter | announcement | letter')
    .option('--subject <text>', 'email: subject line (Liquid)')
    .option('--preheader <text>', 'email: inbox preview text')
    .option('--text <text>', 'sms: the message (Liquid)')
    .option('--footer <text>', 'sms: opt-out footer appended to every message, e.g. "Reply STOP to opt out"')
    .option('--max-segments <n>', 'sms: refuse recipients whose message needs more segments (1 to 10, default 3)', maxSegments)
    .option('--template-name <name>', "whatsapp: the approved template's name at Meta (default: the file name with _)")
    .option('--language <code>', 'whatsapp: language code such as en_US or pt_BR (default en_US)', checkedFlag(languageProblem))
    .option('--category <category>', 'whatsapp: MARKETING | UTILITY | AUTHENTICATION (default MARKETING)', choiceFlag(CATEGORIES))
    .option('--body <text>', 'whatsapp: the approved body with {{1}}..{{n}}')
    .option('--param <liquid>', 'whatsapp: Liquid for the next placeholder (repeat, in order)', collect)
    .option('--content-sid <sid>', "whatsapp: Twilio's ContentSid (HX…)")
    .option('--force', 'replace an existing template')
    .action(action<NewOpts>(async (ctx, [channel, name], opts) => newCommand(ctx, channel!, name!, opts)));
}

/** What `template render` was asked to do. */
export interface RenderCommandOptions {
  name: string;
  /** Where the variables come from: a customer in the store, or a JSON file (resolved against the working directory). */
  vars: { customer: string } | { data: string; shown: string };
  out?: string;
  text: boolean;
}

/** Flags → options, without running anything (test/unit/cli/command-options.test.ts). */
export function parseRenderOptions(name: string, flags: RenderOpts, cwd: string): RenderCommandOptions {
  if (Boolean(flags.customer) === Boolean(flags.data)) throw new UsageError('give exactly one of --customer <id|email|phone> or --data <json-file>', { code: 'usage' });
  return {
    name,
    vars: flags.customer ? { customer: flags.customer } : { data: path.resolve(cwd, flags.data!), shown: flags.data! },
    ...(flags.out ? { out: path.resolve(cwd, flags.out) } : {}),
    text: Boolean(flags.text),
  };
}

async function renderCommand(ctx: CliContext, name: string, flags: RenderOpts): Promise<void> {
  const o = parseRenderOptions(name, flags, ctx.deps.cwd);
  const [{ loadTemplate }, { previewVars, renderOnce, clipWarning, trackedSmsPreview }] = await Promise.all([import('../templates/index.js'), import('../templates/preview.js')]);
  const compiled = await loadTemplate(ctx.workspace, o.name);
  let source: TemplateVars;
  if ('customer' in o.vars) {
    const { requireCustomer } = await import('../customers/find.js');
    source = await requireCustomer((await ctx.repositories('read')).customers, o.vars.customer);
  } else source = readJsonVars(o.vars.data, o.vars.shown);
  const rendered = renderOnce(compiled, previewVars(source, ctx.now().toISOString()));
  if (o.out) {
    // private like every file mkt writes from customer data, renamed into place when whole; a missing folder is exit 73
    const { PrivateFileWriter } = await import('../util/private-file.js');
    const out = new PrivateFileWriter(o.out, { replace: true });
    out.write(outFileContent(rendered));
    out.close();
  }
  const clipped = clipWarning(rendered);
  if (clipped) ctx.warn(clipped);
  const base = rendered.channel === 'sms' ? await trackingBase(ctx) : undefined;
  const tracked = base ? trackedSmsPreview(rendered, base) : undefined;
  ctx.result({ ...publicShape(rendered), ...(tracked ? { tracked } : {}) }, (r) => humanRender(r, rendered, flags));
}

/**
 * mkt.yaml's `tracking:` (null: none); undefined when mkt.yaml does not load (a secret not set):
 * rendering needs no mkt.yaml, and the commands that do report its problems.
 */
async function trackingSettings(ctx: CliContext) {
  const { loadSettings } = await import('../compliance/index.js');
  try {
    return (await loadSettings(ctx.workspace, ctx.io.env)).tracking ?? null;
  } catch {
    return undefined;
  }
}

/** The tracking.base_url tracked WhatsApp buttons are checked against (`template validate`). */
async function trackingBaseUrl(ctx: CliContext): Promise<string | null | undefined> {
  const t = await trackingSettings(ctx);
  return t ? t.baseUrl : t;
}

/** mkt.yaml's tracking base URL when clicks are tracked (the SMS preview). */
async function trackingBase(ctx: CliContext): Promise<string | undefined> {
  const t = await trackingSettings(ctx);
  return t?.clicks ? t.baseUrl : undefined;
}

/**
 * `template preview`: the page goes to `<workspace>/.mkt/preview/<channel>-<name>.html` (private,
 * like every file rendered from customer data); `--open` hands it to the browser through the
 * `open` package, or to the command in MKT_PREVIEW_OPENER (scripts, tests), waiting for it.
 */
async function previewCommand(ctx: CliContext, name: string, flags: PreviewOpts): Promise<void> {
  const [{ loadTemplate, DEMO_CUSTOMER }, { previewVars, renderOnce, inboxView, previewPage }, { listProviders }, { fromMailbox }] = await Promise.all([
    import('../templates/index.js'),
    import('../templates/preview.js'),
    import('../providers/load.js'),
    import('../providers/email-address.js'),
  ]);
  const compiled = await loadTemplate(ctx.workspace, name);
  let source: TemplateVars = DEMO_CUSTOMER;
  if (flags.customer) {
    const { requireCustomer } = await import('../customers/find.js');
    source = await requireCustomer((await ctx.repositories('read')).customers, flags.customer);
  }
  const rendered = renderOnce(compiled, previewVars(source, ctx.now().toISOString()));
  // the From a reader sees: the template's from_name on the first sender of the channel's first provider
  const provider = (await listProviders(ctx.workspace)).find((p) => p.channel === rendered.channel);
  const sender = provider?.senders[0]?.id;
  const box = sender && rendered.channel === 'email' ? fromMailbox(sender, rendered.fromName) : undefined;
  const from = box ? (box.name ? `${box.name} <${box.address}>` : box.address) : `${rendered.channel === 'email' && rendered.fromName ? rendered.fromName + ' ' : ''}<the provider's sender>`;
  const { makePrivateDirs, PrivateFileWriter } = await import('../util/private-file.js');
  const dir = path.join(ctx.workspace, '.mkt', 'preview');
  const file = path.join(dir, `${rendered.channel}-${path.basename(name)}.html`);
  try {
    makePrivateDirs(dir);
  } catch (error) {
    const { fileError } = await import('../util/private-file.js');
    throw fileError(error, file);
  }
  const out = new PrivateFileWriter(file, { replace: true });
  out.write(previewPage(rendered));
  out.close();
  const opened = flags.open ? await openPage(ctx, file) : false;
  const view = { file, ...inboxView(rendered, from), opened };
  ctx.result(view, (v) => `written to ${v.file}${v.opened ? ' (opened)' : ''}\n${humanInbox(v)}`);
}

/** Opens `file`; a failure is a warning (the page is written and its path printed). */
async function openPage(ctx: CliContext, file: string): Promise<boolean> {
  const { default: open } = await import('open');
  const opener = ctx.io.env.MKT_PREVIEW_OPENER;
  try {
    await open(file, opener ? { app: { name: opener }, wait: true } : {});
    return true;
  } catch (error) {
    ctx.warn(`could not open ${file}: ${(error as Error).message}`);
    return false;
  }
}

function humanInbox(v: import('../templates/preview.js').InboxView): string {
  switch (v.channel) {
    case 'email': {
      const kb = (n: number) => `${(n / 1024).toFixed(1).replace(/\.0$/, '')} KB`;
      const size = v.clip.clipped ? `${kb(v.bytes)} of HTML: over Gmail's ${kb(v.clip.limit)} clip, Gmail cuts the rest (and the unsubscribe link) behind "View entire message"` : `${kb(v.bytes)} of HTML (Gmail clips above ${kb(v.clip.limit)})`;
      return `From: ${v.from}\nSubject: ${v.subject}\nPreheader: ${v.preheader}\nSize: ${size}\n`;
    }
    case 'sms': {
      const why = v.forced_ucs2.length ? ` · UCS-2 because of ${v.forced_ucs2.join(', ')}` : '';
      return `${v.text}\n\n${v.encoding} · ${v.characters} characters · ${count(v.segments, 'segment')}${why}\n`;
    }
    case 'whatsapp':
      return `${v.text}\n\n${v.category} template\n`;
  }
}

/** The documented JSON keys per channel, exactly. */
function publicShape(r: Rendered): Record<string, unknown> {
  switch (r.channel) {
    case 'email':
      return { channel: 'email', subject: r.subject, html: r.html, text: r.text, bytes: r.bytes };
    case 'sms':
      return { channel: 'sms', text: r.text, encoding: r.encoding, segments: r.segments, characters: r.characters };
    case 'whatsapp':
      return { channel: 'whatsapp', text: r.text, meta: r.meta, twilio: r.twilio };
  }
}

function outFileContent(r: Rendered): string {
  if (r.channel === 'email') return r.html;
  if (r.channel === 'sms') return r.text + '\n';
  return JSON.stringify({ meta: r.meta, twilio: r.twilio }, null, 2) + '\n';
}

/** Email: the headers a person checks (From, Subject, preheader); the HTML goes to --out, the text part only with --text. */
function humanRender(shape: Record<string, unknown>, r: Rendered, opts: RenderOpts): string {
  const written = opts.out ? `written to ${opts.out}\n` : '';
  if (r.channel === 'email') {
    const head =
      (opts.out ? `written to ${opts.out} (${r.bytes} bytes of HTML)\n` : `HTML: ${r.bytes} bytes (--out <file> saves it; --text shows the text part)\n`) +
      `From: ${r.fromName ? `${r.fromName} <the provider's sender>` : "the provider's sender"}\n` +
      `Subject: ${r.subject}\n` +
      `Preheader: ${r.preheader ?? ''}\n`;
    return opts.text ? `${head}\n${r.text}\n` : head;
  }
  return written + humanOther(shape);
}

function humanOther(shape: Record<string, unknown>): string {
  if (shape.channel === 'sms') {
    const s = shape as { text: string; encoding: string; characters: number; segments: number; tracked?: { text: string; segments: number; saved: number } };
    const plural = (n: number) => count(n, 'segment');
    const t = s.tracked;
    const tracked = t
      ? `\nWith tracked links (as sent):\n${t.text}\n\n${plural(t.segments)}: ${t.saved > 0 ? `${plural(t.saved)} saved` : t.saved < 0 ? `${plural(-t.saved)} more` : 'no segment saved'}\n`
      : '';
    return `${s.text}\n\n${s.encoding} · ${s.characters} characters · ${plural(s.segments)}\n${tracked}`;
  }
  return `${String(shape.text)}\n\nMeta template:\n${JSON.stringify(shape.meta, null, 2)}\n\nTwilio:\n${JSON.stringify(shape.twilio, null, 2)}\n`;
}

/** Reads a --data file: a JSON object of variables; a syntax error names file:line:col. */
function readJsonVars(abs: string, shown: string): TemplateVars {
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch {
    throw new InputError('data_file', `cannot read ${shown}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const m = /position (\d+)/.exec((error as Error).message);
    let at = shown;
    if (m) {
      const before = text.slice(0, Number(m[1]));
      const lines = before.split('\n');
      at = `${shown}:${lines.length}:${lines[lines.length - 1]!.length + 1}`;
    }
    throw new InputError('data_file', `${at}: not valid JSON (${(error as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InputError('data_file', `${shown}: must be a JSON object of variables`);
  return value;
}

/**
 * Asks for a value unless its flag gave it. Without a terminal an optional value takes its
 * default and a required one is a usage error naming the flag.
 */
async function ask<T>(value: T | undefined, flag: string, question: () => Promise<T>, fallback?: T): Promise<T> {
  if (value !== undefined) return value;
  try {
    return await question();
  } catch (error) {
    if (error instanceof UsageError && error.code === 'prompt_without_tty') {
      if (fallback !== undefined) return fallback;
      throw new UsageError(`missing ${flag} (no terminal to ask)`, { code: 'missing_flag', hint: 'run `mkt template new --help` for the flags' });
    }
    throw error;
  }
}

async function newCommand(ctx: CliContext, channel: string, name: string, opts: NewOpts): Promise<void> {
  if (!isChannel(channel)) throw new UsageError(`channel must be one of ${CHANNELS.join(', ')}`, { code: 'usage' });
  const scaffold = await import('../templates/scaffold.js');
  const problem = scaffold.templateNameProblem(name);
  if (problem) throw new UsageError(`template name "${name}": ${problem}`, { code: 'template_name' });
  let content: string;
  if (channel === 'email') content = await newEmail(ctx, opts, scaffold);
  else if (channel === 'sms') content = await newSms(ctx, opts, scaffold);
  else content = await newWhatsApp(ctx, name, opts, scaffold);
  const written = await scaffold.writeScaffold(ctx.workspace, channel, name, content, opts.force);
  for (const w of written.warnings) ctx.warn(w);
  ctx.result({ file: written.file, channel, name, warnings: written.warnings }, (r) => `created ${r.file} (validates; renders for the demo customer)\n`);
}

type Scaffold = typeof import('../templates/scaffold.js');

async function newEmail(ctx: CliContext, opts: NewOpts, s: Scaffold): Promise<string> {
  const layout = await ask(
    opts.layout,
    '--layout',
    () => ctx.prompter.select('Starting layout', s.EMAIL_LAYOUTS.map((l) => ({ name: l, value: l }))),
    'newsletter',
  );
  if (!(s.EMAIL_LAYOUTS as readonly string[]).includes(layout)) throw new UsageError(`--layout must be one of ${s.EMAIL_LAYOUTS.join(', ')}`, { code: 'usage' });
  const subject = await ask(opts.subject, '--subject', () => ctx.prompter.input('Subject (Liquid allowed, e.g. {{ first_name | default: "Hi" }})', { validate: (v) => (v.trim() ? true : 'a subject is needed') }));
  const preheader = await ask(opts.preheader, '--preheader', () => ctx.prompter.input('Preheader (inbox preview text, may be empty)', { default: '' }), '');
  return s.emailScaffold({ layout: layout as (typeof s.EMAIL_LAYOUTS)[number], subject, preheader });
}

/** One line about a draft SMS: encoding, characters, segments; a warning names characters forcing UCS-2. */
async function showSmsInfo(ctx: CliContext, s: Scaffold, text: string, footer?: string): Promise<void> {
  const info = await s.previewSms(ctx.workspace, text, footer);
  if ('error' in info) return ctx.warn(info.error);
  ctx.info(`${info.encoding} · ${info.characters} characters · ${count(info.segments, 'segment')} (as the demo customer gets it)`);
  if (info.encoding === 'UCS-2') {
    const { describeChar } = await import('../templates/sms-encoding.js');
    ctx.warn(`UCS-2 because of ${info.nonGsm.map(describeChar).join(', ')}: 70 characters per segment instead of 160`);
  }
}

async function newSms(ctx: CliContext, opts: NewOpts, s: Scaffold): Promise<string> {
  let text = opts.text;
  if (text === undefined) {
    let draft = '';
    for (;;) {
      draft = await ask<string>(undefined, '--text', () => ctx.prompter.input('Message text (Liquid allowed)', { default: draft || undefined, validate: (v) => (v.trim() ? true : 'the message is empty') }));
      await showSmsInfo(ctx, s, draft);
      if (await ctx.prompter.confirm('Use this text?', true)) break;
    }
    text = draft;
  }
  let footer = opts.footer;
  if (footer === undefined) {
    const wanted = await ask<boolean>(undefined, '--footer', () => ctx.prompter.confirm('Append an opt-out footer to every message?', true), false);
    footer = wanted ? await ask<string>(undefined, '--footer', () => ctx.prompter.input('Footer', { default: 'Reply STOP to opt out' })) : '';
    if (wanted) await showSmsInfo(ctx, s, text, footer);
  }
  return s.smsScaffold({ text, footer: footer || undefined, maxSegments: opts.maxSegments });
}

async function newWhatsApp(ctx: CliContext, name: string, opts: NewOpts, s: Scaffold): Promise<string> {
  const templateName = await ask(opts.templateName, '--template-name', () => ctx.prompter.input("Approved template name at Meta", { default: name.replace(/-/g, '_') }), name.replace(/-/g, '_'));
  const language = await ask(opts.language, '--language', () => ctx.prompter.input('Language code', { default: 'en_US', validate: (v) => languageProblem(v) ?? true }), 'en_US');
  const category = await ask(
    opts.category,
    '--category',
    () => ctx.prompter.select('Category', CATEGORIES.map((c) => ({ name: c, value: c }))),
    'MARKETING',
  );
  const body = await ask(opts.body, '--body', () =>
    ctx.prompter.input('Approved body text with {{1}}..{{n}} placeholders', {
      validate: (v) => {
        const p = s.bodyPlaceholders(v);
        return v.trim() === '' ? 'the body is empty' : 'error' in p ? p.error : true;
      },
    }),
  );
  const placeholders = s.bodyPlaceholders(body);
  if ('error' in placeholders) throw new UsageError(`--body: ${placeholders.error}`, { code: 'usage' });
  let parameters = opts.param ?? [];
  if (opts.param === undefined) {
    for (let i = 1; i <= placeholders.count; i++) {
      const choice = await ask<string>(undefined, '--param', () =>
        ctx.prompter.select(`Value for {{${i}}}`, [...s.PARAMETER_CHOICES, { name: 'a Liquid expression of my own…', value: '' }]),
      );
      parameters = [...parameters, choice || (await ctx.prompter.input(`Liquid for {{${i}}}`, { validate: (v) => (v.trim() ? true : 'empty') }))];
    }
  }
  if (parameters.length !== placeholders.count) throw new UsageError(`the body has ${placeholders.count} placeholder(s) but ${parameters.length} --param given`, { code: 'usage' });
  const contentSid = await ask(opts.contentSid, '--content-sid', () => ctx.prompter.input("Twilio ContentSid (HX…; empty if you send through Meta only)", { default: '' }), '');
  return s.whatsappScaffold({ templateName, language, category, body, parameters, contentSid: contentSid || undefined });
}
