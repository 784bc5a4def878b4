import { describe, expect, it } from 'vitest';
import { loadTemplate, validateTemplates, demoVars, RenderError, type RenderedWhatsApp } from '../../../src/templates/index.js';
import { workspaceWith } from './workspace.js';

const load = async (yaml: string) => loadTemplate(workspaceWith({ 'templates/whatsapp/w.yaml': yaml }), 'w');
const validate = (yaml: string) => validateTemplates(workspaceWith({ 'templates/whatsapp/w.yaml': yaml }));

const FULL = `name: order_update
language: pt_BR
category: UTILITY
header: { type: text, text: "Pedido {{1}}", parameter: "{{ external_id }}" }
body: "Olá {{1}}, seu pedido de {{2}} itens saiu."
parameters:
  - "{{ first_name | default: 'cliente' }}"
  - "{{ order_count }}"
buttons:
  - { type: url, text: Track, parameter: "{{ id }}" }
  - { type: quick_reply, text: Stop, payload: "stop-{{ id }}" }
  - { type: quick_reply, text: Thanks }
twilio: { content_sid: HXaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa }
`;

describe('WhatsApp wire forms', () => {
  it('header text parameter, body, url and quick-reply buttons for Meta; Twilio numbers body 1..n then header and buttons', async () => {
    const r = (await load(FULL)).render(demoVars()) as RenderedWhatsApp;
    expect(r.meta).toEqual({
      name: 'order_update',
      language: { code: 'pt_BR' },
      components: [
        { type: 'header', parameters: [{ type: 'text', text: 'CUST-0001' }] },
        { type: 'body', parameters: [{ type: 'text', text: 'Ana' }, { type: 'text', text: '7' }] },
        { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: '1' }] },
        { type: 'button', sub_type: 'quick_reply', index: '1', parameters: [{ type: 'payload', payload: 'stop-1' }] },
      ],
    });
    expect(r.twilio).toEqual({ contentSid: 'HXaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', contentVariables: '{"1":"Ana","2":"7","3":"CUST-0001","4":"1","5":"stop-1"}' });
    expect(r.text).toBe('Pedido CUST-0001\n\nOlá Ana, seu pedido de 7 itens saiu.');
    expect(r.category).toBe('UTILITY');
  });

  it('a document header carries its link and filename', async () => {
    const r = (await load('name: invoice\nlanguage: en\ncategory: UTILITY\nbody: "Your invoice"\nheader: { type: document, link: "https://cdn.example.com/i.pdf", filename: invoice.pdf }\n')).render(demoVars()) as RenderedWhatsApp;
    expect(r.meta.components).toEqual([{ type: 'header', parameters: [{ type: 'document', document: { link: 'https://cdn.example.com/i.pdf', filename: 'invoice.pdf' } }] }]);
    expect(r.twilio).toEqual({ contentVariables: '{}' });
  });

  it.each([
    ['empty', ''],
    ['a newline', 'a\nb'],
    ['a tab', 'a\tb'],
    ['more than four consecutive spaces', 'a     b'],
  ])('a rendered parameter with %s is a RenderError for that recipient', async (problem, value) => {
    const t = await load('name: x\nlanguage: en_US\ncategory: MARKETING\nbody: "Hi {{1}}"\nparameters: ["{{ attributes.nick }}"]\n');
    expect(() => t.render(demoVars({ attributes: { nick: value } }))).toThrow(RenderError);
    expect(() => t.render(demoVars({ attributes: { nick: value } }))).toThrow(new RegExp(`w\\.yaml:5:\\d+: parameter \\{\\{1\\}\\} (is|contains) ${problem}`));
    expect(() => t.render(demoVars({ attributes: { nick: 'a    b' } }))).not.toThrow(); // four spaces are fine
  });
});

describe('WhatsApp validation (file:line:col)', () => {
  it('parameter count must match the placeholders', async () => {
    const r = await validate('name: x\nlanguage: en_US\ncategory: MARKETING\nbody: "Hi {{1}} {{2}}"\nparameters:\n  - "{{ first_name }}"\n');
    expect(r.errors).toEqual([{ file: 'templates/whatsapp/w.yaml', line: 6, col: 3, message: 'the body has 2 placeholder(s) but 1 parameter(s) are given' }]);
  });

  it('placeholders must be 1..n without gaps', async () => {
    const r = await validate('name: x\nlanguage: en_US\ncategory: MARKETING\nbody: "Hi {{1}} {{3}}"\nparameters: ["a", "b"]\n');
    expect(r.errors[0]).toMatchObject({ line: 4, col: 7 });
    expect(r.errors[0]!.message).toContain('without gaps');
  });

  it('reports every field problem in one run', async () => {
    const r = await validate('name: Bad-Name\nlanguage: english\ncategory: PROMO\nbody: "Hi"\ntwilio: { content_sid: nope }\nbuttons:\n  - { type: call }\n');
    expect(r.errors.map((e) => e.line)).toEqual([1, 2, 3, 7, 5]);
  });

  it('a YAML syntax error has its position', async () => {
    const r = await validate('name: x\nbody: "unclosed\n');
    expect(r.errors[0]!.message).toMatch(/^YAML/);
    expect(r.errors[0]!.line).toBeGreaterThanOrEqual(2);
  });

  it('a Liquid error inside a parameter points into the YAML line', async () => {
    const r = await validate('name: x\nlanguage: en_US\ncategory: MARKETING\nbody: "Hi {{1}}"\nparameters:\n  - "{{ first_name | nope }}"\n');
    expect(r.errors[0]).toMatchObject({ line: 6 });
    expect(r.errors[0]!.message).toContain('undefined filter: nope');
  });
});
