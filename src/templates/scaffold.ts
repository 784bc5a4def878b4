/**
 * Starting points written by `mkt template new`: each one passes `template validate` and
 * renders against the demo customer (the CLI checks that before it keeps the file).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import type { Channel } from '../channels.js';
import { InputError, UsageError } from '../errors.js';
import { Diagnostics, formatDiagnostic } from './diagnostics.js';
import { EXTENSIONS, loadPartials, templatesDir } from './files.js';
import { createEngines } from './liquid.js';
import { smsInfo, type SmsInfo } from './sms-encoding.js';
import { demoVars, validateTemplates } from './index.js';

export const EMAIL_LAYOUTS = ['newsletter', 'announcement', 'letter'] as const;
export type EmailLayout = (typeof EMAIL_LAYOUTS)[number];

/** Choices for mapping a WhatsApp placeholder to customer data (every one renders non-empty). */
export const PARAMETER_CHOICES: Array<{ name: string; value: string }> = [
  { name: 'first name (or "there")', value: "{{ first_name | default: 'there' }}" },
  { name: 'last name', value: "{{ last_name | default: 'customer' }}" },
  { name: 'full name', value: "{{ first_name | default: 'there' }}{% if last_name %} {{ last_name }}{% endif %}" },
  { name: 'email', value: '{{ email }}' },
  { name: 'external id', value: '{{ external_id | default: id }}' },
  { name: 'country', value: '{{ country }}' },
  { name: 'lifetime value', value: '{{ lifetime_value | default: 0 }}' },
  { name: 'order count', value: '{{ order_count | default: 0 }}' },
  { name: 'plan (attributes.plan, upper-case)', value: "{{ attributes.plan | default: 'free' | upcase }}" },
  { name: 'campaign name', value: '{{ campaign.name }}' },
];

const q = (s: string) => JSON.stringify(s); // a JSON string is a valid YAML double-quoted scalar

export function templateNameProblem(name: string): string | undefined {
  return /^[a-z0-9][a-z0-9_-]{0,63}$/.test(name) ? undefined : 'use lower-case letters, digits, - and _ (up to 64), starting with a letter or digit';
}

const FOOTER = `    <mj-section padding="16px 0">
      <mj-column>
        <mj-text align="center" font-size="12px" color="#636e72">
          You are receiving this because you subscribed to our emails.<br />
          <a href="{{ unsubscribe_url }}" style="color:#636e72;">Unsubscribe</a>
        </mj-text>
      </mj-column>
    </mj-section>`;

const HEAD = `  <mj-head>
    <mj-attributes>
      <mj-all font-family="Helvetica, Arial, sans-serif" />
      <mj-text font-size="15px" line-height="22px" color="#2d3436" />
      <mj-button background-color="#2e7d32" color="#ffffff" />
    </mj-attributes>
  </mj-head>`;

const LAYOUT_BODIES: Record<EmailLayout, string> = {
  newsletter: `    <mj-section background-color="#ffffff" padding="16px 0">
      <mj-column>
        <mj-text font-size="20px" font-weight="bold">Our newsletter</mj-text>
      </mj-column>
    </mj-section>
    <mj-section background-color="#2e7d32" padding="32px 0">
      <mj-column>
        <mj-text align="center" color="#ffffff" font-size="28px" line-height="34px" font-weight="bold">The headline story</mj-text>
        <mj-button background-color="#ffffff" color="#2e7d32" href="https://example.com/">Read more</mj-button>
      </mj-column>
    </mj-section>
    <mj-section background-color="#ffffff">
      <mj-column>
        <mj-text>Hi {{ first_name | default: "there" }}, here is what is new this month.</mj-text>
      </mj-column>
    </mj-section>
    <mj-section background-color="#ffffff">
      <mj-column width="50%">
        <mj-text font-weight="bold">First story</mj-text>
        <mj-text>A short summary of the first story.</mj-text>
      </mj-column>
      <mj-column width="50%">
        <mj-text font-weight="bold">Second story</mj-text>
        <mj-text>A short summary of the second story.</mj-text>
      </mj-column>
    </mj-section>`,
  announcement: `    <mj-section background-color="#ffffff" padding="40px 0">
      <mj-column>
        <mj-text align="center" font-size="28px" line-height="34px" font-weight="bold">Big news, {{ first_name | default: "friend" }}</mj-text>
        <mj-text align="center">Tell your customers what changed and why it matters to them.</mj-text>
        <mj-button href="https://example.com/">Find out more</mj-button>
      </mj-column>
    </mj-section>`,
  letter: `    <mj-section background-color="#ffffff" padding="32px 0">
      <mj-column>
        <mj-text>Dear {{ first_name | default: "customer" }},</mj-text>
        <mj-text>Write your letter here.</mj-text>
        <mj-text>Kind regards,<br />The team</mj-text>
      </mj-column>
    </mj-section>`,
};

export function emailScaffold(o: { layout: EmailLayout; subject: string; preheader?: string }): string {
  const fm = [`subject: ${q(o.subject)}`, ...(o.preheader ? [`preheader: ${q(o.preheader)}`] : [])].join('\n');
  return `---\n${fm}\n---\n<mjml lang="en">\n${HEAD}\n  <mj-body background-color="#f1f2f6">\n${LAYOUT_BODIES[o.layout]}\n${FOOTER}\n  </mj-body>\n</mjml>\n`;
}

export function smsScaffold(o: { text: string; footer?: string; maxSegments?: number }): string {
  const fm = [...(o.maxSegments ? [`max_segments: ${o.maxSegments}`] : []), ...(o.footer ? [`opt_out_footer: ${q(o.footer)}`] : [])];
  return `${fm.length ? `---\n${fm.join('\n')}\n---\n` : ''}${o.text.trim()}\n`;
}

export function whatsappScaffold(o: { templateName: string; language: string; category: string; body: string; parameters: string[]; contentSid?: string }): string {
  const doc: Record<string, unknown> = { name: o.templateName, language: o.language, category: o.category, body: o.body, parameters: o.parameters };
  if (o.contentSid) doc.twilio = { content_sid: o.contentSid };
  return stringify(doc, { lineWidth: 0, defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' });
}

/** Placeholders {{1}}..{{n}} of a body, or why they are not usable. */
export function bodyPlaceholders(body: string): { count: number } | { error: string } {
  const nums = [...body.matchAll(/\{\{\s*(\d+)\s*\}\}/g)].map((m) => Number(m[1]));
  const distinct = [...new Set(nums)].sort((a, b) => a - b);
  if (distinct.some((n, i) => n !== i + 1)) return { error: 'placeholders must be {{1}}..{{n}} without gaps' };
  if (nums.length !== distinct.length) return { error: 'each placeholder may appear only once' };
  return { count: distinct.length };
}

/**
 * Encoding and segments of an SMS text as the demo customer would get it (Liquid rendered), for
 * the builder's live feedback; a Liquid problem comes back as `error`.
 */
export async function previewSms(workspace: string, text: string, footer?: string): Promise<(SmsInfo & { text: string }) | { error: string }> {
  const { compileSms } = await import('./sms.js');
  const diags = new Diagnostics();
  const partials = loadPartials(workspace);
  const compiled = compileSms(
    { workspace, template: { name: 'draft', channel: 'sms', file: 'draft', abs: 'draft' }, text: smsScaffold({ text, footer, maxSegments: 10 }), engines: await createEngines(partials), partials },
    diags,
  );
  if (!compiled || diags.errors.length > 0) return { error: diags.errors.map(formatDiagnostic).join('; ') };
  try {
    const r = compiled.render(demoVars());
    return { ...smsInfo(r.text), text: r.text };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/**
 * Writes a new template and keeps it only if it validates and renders for the demo customer;
 * otherwise the file is removed and the problems are reported (exit 65).
 */
export async function writeScaffold(workspace: string, channel: Channel, name: string, content: string, force = false): Promise<{ file: string; warnings: string[] }> {
  const problem = templateNameProblem(name);
  if (problem) throw new UsageError(`template name "${name}": ${problem}`, { code: 'template_name' });
  const dir = path.join(templatesDir(workspace), channel);
  const abs = path.join(dir, name + EXTENSIONS[channel][0]);
  const file = `templates/${channel}/${name}${EXTENSIONS[channel][0]}`;
  if (existsSync(abs) && !force) throw new UsageError(`${file} already exists`, { code: 'template_exists', hint: 'pass --force to replace it' });
  const previous = existsSync(abs) ? readFileSync(abs) : undefined;
  mkdirSync(dir, { recursive: true });
  writeFileSync(abs, content);
  const result = await validateTemplates(workspace, [`${channel}/${name}`]);
  if (result.errors.length > 0) {
    if (previous) writeFileSync(abs, previous);
    else rmSync(abs, { force: true });
    throw new InputError('scaffold_invalid', `the new template does not validate: ${result.errors.map(formatDiagnostic).join('; ')}`, { details: { errors: result.errors } });
  }
  return { file, warnings: result.warnings.map(formatDiagnostic) };
}
