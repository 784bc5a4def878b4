import { describe, expect, it } from 'vitest';
import { loadTemplate, validateTemplates, demoVars, RenderError, type RenderedEmail } from '../../../src/templates/index.js';
import { workspaceWith } from './workspace.js';

const FRONT = '---\nsubject: "Hi {{ first_name }}"\npreheader: "Peek {{ first_name }}"\n---\n';
const mjml = (inner: string) => `<mjml>\n<mj-body>\n<mj-section>\n<mj-column>\n${inner}\n</mj-column>\n</mj-section>\n</mj-body>\n</mjml>\n`;
const UNSUB = '<mj-text><a href="{{ unsubscribe_url }}">Unsubscribe</a></mj-text>';

async function render(body: string, vars = demoVars(), extra: Record<string, string> = {}): Promise<RenderedEmail> {
  const t = await loadTemplate(workspaceWith({ 'templates/email/e.mjml': body, ...extra }), 'email/e');
  return t.render(vars) as RenderedEmail;
}

describe('email: MJML compiled once with Liquid inside', () => {
  it('keeps {{ }} and {% %} intact in href attributes and text, then personalises per recipient', async () => {
    const tpl = FRONT + mjml(`<mj-button href="https://shop.example.com/?e={{ email | url_encode }}&amp;p={{ attributes.plan }}">Go</mj-button>\n<mj-text>{% if order_count > 1 %}Loyal{% else %}New{% endif %} {{ first_name }}</mj-text>\n${UNSUB}`);
    const t = await loadTemplate(workspaceWith({ 'templates/email/e.mjml': tpl }), 'e');
    const a = t.render(demoVars()) as RenderedEmail;
    const b = t.render(demoVars({ first_name: 'Bo', email: 'b&o@example.com', order_count: 0 })) as RenderedEmail;
    expect(a.html).toContain('href="https://shop.example.com/?e=ana.silva%40example.com&amp;p=pro"');
    expect(a.html).toContain('Loyal Ana');
    expect(b.html).toContain('e=b%26o%40example.com');
    expect(b.html).toContain('New Bo');
    expect(a.subject).toBe('Hi Ana');
    expect(a.preheader).toBe('Peek Ana');
    expect(a.html).toContain('Peek Ana'); // the preheader went into <mj-preview>
    expect(a.html).toContain('href="https://example.com/unsubscribe/preview-token"');
    expect(a.bytes).toBe(Buffer.byteLength(a.html));
  });

  it('escapes HTML in the HTML part only; subject and text get the raw value', async () => {
    const r = await render(FRONT + mjml(`<mj-text>Hello {{ first_name }}</mj-text>\n${UNSUB}`), demoVars({ first_name: '<script>alert(1)</script>' }));
    expect(r.html).toContain('Hello &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(r.html).not.toContain('<script>alert(1)');
    expect(r.subject).toBe('Hi <script>alert(1)</script>');
    expect(r.text).toContain('Hello <script>alert(1)</script>');
    expect(r.text).toContain('Unsubscribe [https://example.com/unsubscribe/preview-token]');
  });

  it('a subject is one line whatever the data holds (no header injection)', async () => {
    const r = await render(FRONT + mjml(UNSUB), demoVars({ first_name: 'Ana\r\nBcc: x@evil.example' }));
    expect(r.subject).toBe('Hi Ana Bcc: x@evil.example');
  });

  it('uses <name>.txt beside the MJML as the Liquid text part', async () => {
    const r = await render(FRONT + mjml(UNSUB), demoVars(), { 'templates/email/e.txt': 'Plain {{ first_name }} & co\nStop: {{ unsubscribe_url }}\n' });
    expect(r.text).toBe('Plain Ana & co\nStop: https://example.com/unsubscribe/preview-token');
  });

  it('a conditional wrapped in <mj-raw> works in both HTML and text part', async () => {
    const tpl = FRONT + mjml(`<mj-raw>{% if attributes.plan == "pro" %}</mj-raw>\n<mj-text>Members save more</mj-text>\n<mj-raw>{% endif %}</mj-raw>\n${UNSUB}`);
    const pro = await render(tpl);
    const free = await render(tpl, demoVars({ attributes: { plan: 'free' } }));
    expect(pro.html).toContain('Members save more');
    expect(pro.text).toContain('Members save more');
    expect(free.html).not.toContain('Members save more');
    expect(free.text).not.toContain('Members save more');
  });

  it('a missing variable in the body names the variable and its MJML file line', async () => {
    const t = await loadTemplate(workspaceWith({ 'templates/email/e.mjml': FRONT + mjml(`<mj-text>Code {{ attributes.coupon }}</mj-text>\n${UNSUB}`) }), 'e');
    expect(() => t.render(demoVars())).toThrow(RenderError);
    expect(() => t.render(demoVars())).toThrow(/templates\/email\/e\.mjml:9:\d+: missing variable "attributes\.coupon"/);
  });
});

describe('email validation', () => {
  it('MJML errors come with the file line (strict validation), all of them', async () => {
    const ws = workspaceWith({ 'templates/email/e.mjml': FRONT + mjml(`<mj-text foo="1">x</mj-text>\n<mj-bogus />\n${UNSUB}`) });
    const r = await validateTemplates(ws);
    expect(r.errors.map((e) => [e.line, e.message])).toEqual([
      [9, 'MJML: Attribute foo is illegal'],
      [10, "MJML: Element mj-bogus doesn't exist or is not registered"],
    ]);
    await expect(loadTemplate(ws, 'e')).rejects.toThrow(/templates\/email\/e\.mjml:9: MJML: Attribute foo is illegal \(and 1 more/);
  });

  it('Liquid that MJML would silently drop is an error pointing at it', async () => {
    const r = await validateTemplates(workspaceWith({ 'templates/email/e.mjml': FRONT + mjml(`{% if first_name %}\n<mj-text>x</mj-text>\n{% endif %}\n${UNSUB}`) }));
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ line: 9, col: 1 });
    expect(r.errors[0]!.message).toContain('<mj-raw>');
  });

  it('a marketing email without {{ unsubscribe_url }} fails validation', async () => {
    const r = await validateTemplates(workspaceWith({ 'templates/email/e.mjml': FRONT + mjml('<mj-text>no way out</mj-text>') }));
    expect(r.errors.map((e) => e.message)).toEqual([expect.stringContaining('must contain {{ unsubscribe_url }}')]);
  });

  it('the unsubscribe link may come from a partial', async () => {
    const r = await validateTemplates(
      workspaceWith({ 'templates/email/e.mjml': FRONT + mjml("<mj-text>{% include 'foot' %}</mj-text>"), 'templates/partials/foot.liquid': '<a href="{{ unsubscribe_url }}">Unsubscribe</a>' }),
    );
    expect(r.errors).toEqual([]);
  });

  it('front matter problems: YAML syntax with line, missing subject, unknown key warned', async () => {
    const bad = await validateTemplates(workspaceWith({ 'templates/email/e.mjml': '---\nsubject: "x\n---\n' + mjml(UNSUB) }));
    expect(bad.errors[0]!.message).toMatch(/^YAML/);
    expect(bad.errors[0]!.line).toBeGreaterThanOrEqual(2);
    const none = await validateTemplates(workspaceWith({ 'templates/email/e.mjml': '---\npreheader: p\nsubjet: typo\n---\n' + mjml(UNSUB) }));
    expect(none.errors.map((e) => e.message)).toContain('front matter needs "subject"');
    expect(none.warnings.map((w) => [w.line, w.message])).toContainEqual([3, expect.stringContaining('unknown front matter key "subjet"')]);
  });

  it('warns when the rendered HTML is over 102 KB (Gmail clips it)', async () => {
    const big = Array.from({ length: 1200 }, (_, i) => `<mj-text>Paragraph ${i} with some words to make it longer than it should be.</mj-text>`).join('\n');
    const r = await validateTemplates(workspaceWith({ 'templates/email/e.mjml': FRONT + mjml(big + '\n' + UNSUB) }));
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((w) => w.message)).toContainEqual(expect.stringContaining('Gmail clips'));
  });
});

describe('email: no file access through MJML', () => {
  it('mj-include is refused at its line (MJML would silently skip it)', async () => {
    const r = await validateTemplates(workspaceWith({ 'templates/email/e.mjml': FRONT + mjml(`<mj-include path="/etc/passwd" />\n${UNSUB}`) }));
    expect(r.errors).toEqual([expect.objectContaining({ line: 9, col: 1, message: expect.stringContaining('mj-include is not supported') })]);
  });
});
