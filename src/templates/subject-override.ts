/**
 * An email template with another subject line (an A/B test's variant: `subject:` in the
 * campaign file). The subject is Liquid, parsed once with the same strict text engine as a
 * template's front matter; the rest of the template (its compiled MJML) is shared, not
 * compiled again.
 */
import type { CompiledTemplate, Rendered, TemplateVars } from './contract.js';
import { RenderError } from './contract.js';
import { Diagnostics } from './diagnostics.js';
import { createEngine, parseLiquid, renderLiquid } from './liquid.js';
import { buildScope } from './variables.js';

/** `where` names the subject's origin in errors (e.g. `campaigns/spring.yaml variants.b.subject`). */
export async function withSubject(template: CompiledTemplate, subject: string, where: string, campaign?: { name: string; id: number | null }): Promise<CompiledTemplate> {
  if (template.channel !== 'email') throw new RenderError(`${where}: a subject applies to email templates only (${template.file} is ${template.channel})`, 'bad_variant');
  const engine = await createEngine({}, 'text');
  const diags = new Diagnostics();
  const parsed = parseLiquid(engine, subject, { file: where, line: 1, col: 1 }, diags);
  diags.throwIfErrors();
  return {
    ...template,
    render(vars: TemplateVars): Rendered {
      const out = template.render(vars);
      if (out.channel !== 'email') return out;
      const text = renderLiquid(engine, parsed!, buildScope(vars, { campaign }))
        .replace(/\s*[\r\n]+\s*/g, ' ')
        .trim();
      if (text === '') throw new RenderError(`${where}: the subject rendered empty`, 'empty_subject');
      return { ...out, subject: text };
    },
  };
}
