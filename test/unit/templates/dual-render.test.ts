import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../../src/db/open.js';
import { listCustomers } from '../../../src/customers/query.js';
import { seedCustomers } from '../../../src/customers/seed.js';
import { combineSources, splitRendered } from '../../../src/templates/dual-render.js';
import { loadPartials } from '../../../src/templates/files.js';
import { createEngines } from '../../../src/templates/liquid.js';
import { buildScope, demoVars, PREVIEW_EXTRAS } from '../../../src/templates/variables.js';
import { loadTemplate, type RenderedEmail } from '../../../src/templates/index.js';
import type { CompiledEmail } from '../../../src/templates/email.js';
import { ROOT } from '../../support/cli.js';

describe('one Liquid pass for HTML and text (dual-render)', () => {
  it('refuses what it cannot interleave', () => {
    expect(combineSources('<p>{{ a }}</p>', 'A {{ a }}')).toBeDefined();
    expect(combineSources('<p>{{ a }}</p>', 'A')).toBeUndefined(); // tokens differ
    expect(combineSources('<p>{{- a }}</p>', 'A {{- a }}')).toBeUndefined(); // whitespace control
    expect(combineSources('{% capture x %}{{ a }}{% endcapture %}', '{% capture x %}{{ a }}{% endcapture %}')).toBeUndefined();
    expect(combineSources('{% raw %}{{ a }}{% endraw %}', '{% raw %}{{ a }}{% endraw %}')).toBeUndefined();
    expect(combineSources('<p>\uE000{{ a }}</p>', '\uE000{{ a }}')).toBeUndefined();
  });

  it('split returns undefined when a value carries a marker character (the caller renders in two passes)', () => {
    expect(splitRendered('<p>\uE000vA&B\uE001</p>\uE000tText\uE001')).toEqual({ html: '<p>A&amp;B</p>', text: 'A&BText' });
    expect(splitRendered('<p>\uE000vA\uE001B\uE001</p>')).toBeUndefined();
    expect(splitRendered('<p>\uE000vA\uE000tB\uE001</p>')).toBeUndefined();
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
        const r = t.render(vars) as RenderedEmail;
        expect(r.html).toBe(engines.html.renderSync(parsed, buildScope(vars, {})));
        expect(r.text).not.toMatch(/[\uE000\uE001]/);
        expect(r.text).toContain(PREVIEW_EXTRAS.unsubscribe_url);
      }
    } finally {
      store.close();
    }
  });

  it('a recipient whose data holds the marker characters still gets a correct email (two passes)', async () => {
    const t = await loadTemplate(ROOT, 'email/spring-sale');
    const odd = 'A\uE001B\uE000tC<';
    const r = t.render(demoVars({ first_name: odd })) as RenderedEmail;
    expect(r.html).toContain('Hi A\uE001B\uE000tC&lt;,');
    expect(r.text).toContain(`Hi ${odd},`);
  });
});
