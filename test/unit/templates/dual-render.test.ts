import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../../src/db/open.js';
import { listCustomers } from '../../../src/customers/query.js';
import { seedCustomers } from '../../../src/customers/seed.js';
import { CLOSE, combineSources, OPEN, splitRendered } from '../../../src/templates/dual-render.js';
import { loadPartials } from '../../../src/templates/files.js';
import { createEngines } from '../../../src/templates/liquid.js';
import { buildScope, demoVars, PREVIEW_EXTRAS } from '../../../src/templates/variables.js';
import { loadTemplate, type RenderedEmail } from '../../../src/templates/index.js';
import type { CompiledEmail } from '../../../src/templates/email.js';
import { ROOT } from '../../support/cli.js';
import { workspaceWith } from './workspace.js';

describe('one Liquid pass for HTML and text (dual-render)', () => {
  it('refuses what it cannot interleave', () => {
    expect(combineSources('<p>{{ a }}</p>', 'A {{ a }}')).toBeDefined();
    expect(combineSources('<p>{{ a }}</p>', 'A')).toBeUndefined(); // tokens differ
    expect(combineSources('<p>{{- a }}</p>', 'A {{- a }}')).toBeUndefined(); // whitespace control
    expect(combineSources('{% capture x %}{{ a }}{% endcapture %}', '{% capture x %}{{ a }}{% endcapture %}')).toBeUndefined();
    expect(combineSources('{% raw %}{{ a }}{% endraw %}', '{% raw %}{{ a }}{% endraw %}')).toBeUndefined();
    expect(combineSources(`<p>${OPEN}{{ a }}</p>`, `${OPEN}{{ a }}`)).toBeUndefined();
  });

  it('adds no character above U+00FF, so a Latin-1 template renders to one-byte strings (half the memory of two-byte ones)', () => {
    const source = combineSources('<p>Hi {{ first_name }}, &copy; {{ year }}</p>', 'Hi {{ first_name }}, \u00a9 {{ year }}')!;
    expect(source).toBeDefined();
    expect(source).not.toMatch(/[^\x00-\xff]/);
  });

  it('split returns undefined when a value carries a marker character (the caller renders in two passes)', () => {
    expect(splitRendered(`<p>${OPEN}vA&B${CLOSE}</p>${OPEN}tText${CLOSE}`)).toEqual({ html: '<p>A&amp;B</p>', text: 'A&BText' });
    expect(splitRendered(`<p>${OPEN}vA${CLOSE}B${CLOSE}</p>`)).toBeUndefined();
    expect(splitRendered(`<p>${OPEN}vA${OPEN}tB${CLOSE}</p>`)).toBeUndefined();
  });

  it('HTML escaping matches liquidjs outputEscape for any value', async () => {
    const { html } = await createEngines({});
    const tpl = html.parse('<b>{{ v }}</b>');
    const source = combineSources('<b>{{ v }}</b>', 'B {{ v }}')!;
    const { text } = await createEngines({});
    const combined = text.parse(source);
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', '&', '<', '>', '"', "'", ' ', 'é', '😀') }), (v) => {
        const both = splitRendered(text.renderSync(combined, { v }) as string)!;
        expect(both.html).toBe(html.renderSync(tpl, { v }));
        expect(both.text).toBe(`B ${v}`);
      }),
    );
  });

  it('the sample newsletter renders the same HTML in one pass as in a plain HTML pass, for 300 seeded customers', async () => {
    const t = (await loadTemplate(ROOT, 'email/spring-sale')) as CompiledEmail;
    const engines = await createEngines(loadPartials(ROOT));
    const parsed = engines.html.parse(t.compiledHtml);
    const store = openStore(':memory:');
    try {
      seedCustomers(store, { count: 300, seed: 3, now: new Date('2026-04-01T00:00:00Z') });
      for (const c of listCustomers(store, 300)) {
        const vars = { ...PREVIEW_EXTRAS, ...c };
        const r = t.render(vars);
        expect(r.html).toBe(engines.html.renderSync(parsed, buildScope(vars, {})));
        expect(r.text).not.toMatch(/[\x01\x02]/);
        expect(r.text).toContain(PREVIEW_EXTRAS.unsubscribe_url);
      }
    } finally {
      store.close();
    }
  });

  it('a value a filter turns into marker characters cannot forge the split: the HTML is what a plain HTML pass gives', async () => {
    // url_decode makes \x01 / \x02 from harmless-looking data after any check of the data itself
    const body = `<mjml><mj-body><mj-section><mj-column>
<mj-text>Hi {{ first_name | url_decode }}, {{ last_name | url_decode | raw }}</mj-text>
<mj-text><a href="{{ unsubscribe_url }}">Unsubscribe</a></mj-text>
</mj-column></mj-section></mj-body></mjml>\n`;
    const t = (await loadTemplate(workspaceWith({ 'templates/email/e.mjml': `---\nsubject: "Hi"\n---\n${body}` }), 'email/e')) as CompiledEmail;
    const engines = await createEngines({});
    const parsed = engines.html.parse(t.compiledHtml);
    // the forgery: close the value's marker, write raw HTML, open a new value marker
    const forged = 'X%02%3Cscript%3Ealert(1)%3C/script%3E%01vY';
    const piece = fc.constantFrom('%01', '%02', '%01v', '%01t', '%3Cb%3E', 'x', '%26', '%02%3Cb%3E%01v', forged);
    const value = fc.array(piece, { minLength: 1, maxLength: 8 }).map((a) => a.join(''));
    fc.assert(
      fc.property(value, value, (first, last) => {
        const vars = demoVars({ first_name: first, last_name: last });
        const r = t.render(vars);
        expect(r.html).toBe(engines.html.renderSync(parsed, buildScope(vars, {})));
        expect(r.text).toContain(`Hi ${decodeURIComponent(first)}, ${decodeURIComponent(last)}`);
      }),
      { numRuns: 200, examples: [[forged, 'B']] },
    );
  });

  it('a recipient whose data holds the marker characters still gets a correct email (two passes)', async () => {
    const t = await loadTemplate(ROOT, 'email/spring-sale');
    const odd = `A${CLOSE}B${OPEN}tC<`;
    const r = t.render(demoVars({ first_name: odd })) as RenderedEmail;
    expect(r.html).toContain(`Hi A${CLOSE}B${OPEN}tC&lt;,`);
    expect(r.text).toContain(`Hi ${odd},`);
  });
});
