import { describe, expect, it } from 'vitest';
import { loadTemplate, validateTemplates, demoVars, RenderError } from '../../../src/templates/index.js';
import { InputError } from '../../../src/errors.js';
import { workspaceWith } from './workspace.js';

const sms = (body: string, extra: Record<string, string> = {}) => workspaceWith({ 'templates/sms/t.txt': body, ...extra });

async function renderSms(body: string, vars = demoVars(), extra: Record<string, string> = {}): Promise<string> {
  const t = await loadTemplate(sms(body, extra), 't');
  const r = t.render(vars);
  if (r.channel !== 'sms') throw new Error('not sms');
  return r.text;
}

async function renderError(body: string, vars = demoVars(), extra: Record<string, string> = {}): Promise<RenderError> {
  const t = await loadTemplate(sms(body, extra), 't');
  try {
    t.render(vars);
  } catch (e) {
    if (e instanceof RenderError) return e;
    throw e;
  }
  throw new Error('expected a RenderError');
}

describe('strict variables', () => {
  it('a missing variable without default is an error naming the variable and the template line', async () => {
    const e = await renderError('Hello\nthere {{ attributes.coupon }}', demoVars());
    expect(e.code).toBe('missing_variable');
    expect(e.message).toContain('"attributes.coupon"');
    expect(e.message).toContain('templates/sms/t.txt:2:10');
  });

  it('front matter lines are counted: the body line is the file line', async () => {
    const e = await renderError('---\nmax_segments: 2\n---\nHi {{ attributes.code }}');
    expect(e.message).toContain('templates/sms/t.txt:4:');
  });

  it('a null customer field counts as missing; default fills it; if treats it as false', async () => {
    const vars = demoVars({ first_name: null });
    expect((await renderError('Hi {{ first_name }}', vars)).message).toContain('"first_name"');
    expect(await renderSms('Hi {{ first_name | default: "there" }}', vars)).toBe('Hi there');
    expect(await renderSms('{% if first_name %}A{% else %}B{% endif %}', vars)).toBe('B');
  });

  it('an unknown variable name (a typo) fails validation with its position', async () => {
    const r = await validateTemplates(sms('Hi {{ frist_name }}'));
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ file: 'templates/sms/t.txt', line: 1, col: 7 });
    expect(r.errors[0]!.message).toContain('unknown variable "frist_name"');
  });

  it('unsubscribe_url is email-only', async () => {
    const r = await validateTemplates(sms('Bye {{ unsubscribe_url }}'));
    expect(r.errors[0]!.message).toContain('only email templates have unsubscribe_url');
  });

  it('a syntax error or unknown filter is an InputError (65) at file:line:col', async () => {
    await expect(loadTemplate(sms('ok\n{% if %}'), 't')).rejects.toThrow(/templates\/sms\/t\.txt:2:\d+: Liquid/);
    const err = await loadTemplate(sms('{{ first_name | shout }}'), 't').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toContain('undefined filter: shout');
  });
});

describe('injection payloads do not execute or leak', () => {
  it.each([
    '{{ constructor }}',
    '{{ attributes.constructor }}',
    '{{ first_name.constructor }}',
    '{{ attributes.constructor.constructor }}',
    '{{ __proto__ }}',
    '{{ attributes.__proto__ }}',
    "{{ attributes['__proto__'] }}",
    "{% assign c = 'constructor' %}{{ attributes[c] }}",
    '{{ first_name.constructor.constructor("return process")() }}',
  ])('%s is at most a missing variable, never code', async (payload) => {
    let outcome: string;
    try {
      const t = await loadTemplate(sms(payload), 't');
      try {
        outcome = (t.render(demoVars()) as { text: string }).text;
      } catch (e) {
        outcome = (e as Error).message;
      }
    } catch (e) {
      outcome = (e as Error).message;
    }
    expect(outcome).not.toMatch(/function|\[native code\]|\[object|process|Object\(\)/);
  });

  it('include of /etc/passwd or ../ fails; only templates/partials/ is reachable', async () => {
    const extra = { 'templates/partials/footer.liquid': 'Reply STOP', 'templates/secret.txt': 'SECRET' };
    expect(await renderSms("A {% include 'footer' %}", demoVars(), extra)).toBe('A Reply STOP');
    for (const payload of ["{% include '/etc/passwd' %}", "{% include '../secret.txt' %}", "{% include '../../../../etc/passwd' %}", "{% render '/etc/hostname' %}", "{% layout '/etc/passwd' %}"]) {
      const err = await loadTemplate(sms(payload, extra), 't').then(
        (t) => {
          try {
            return JSON.stringify(t.render(demoVars()));
          } catch (e) {
            return (e as Error).message;
          }
        },
        (e: Error) => e.message,
      );
      expect(err).not.toContain('root:');
      expect(err).not.toContain('SECRET');
      expect(err).toMatch(/Failed to lookup|ENOENT|not found/i);
    }
  });

  it('customer data is data: Liquid inside a value is not evaluated', async () => {
    expect(await renderSms('Hi {{ first_name }}', demoVars({ first_name: '{{ email }}{% include "/etc/passwd" %}' }))).toBe('Hi {{ email }}{% include "/etc/passwd" %}');
  });

  it('a runaway loop hits the memory/render limit as a RenderError, not a hang', async () => {
    const e = await renderError('{% for i in (1..100000000) %}{{ i }}{% endfor %}');
    expect(e.code).toBe('render_failed');
    expect(e.message).toMatch(/limit/);
  });
});

describe('null attributes', () => {
  it('a null attribute is missing too: an error without default, the default with one', async () => {
    const vars = demoVars({ attributes: { plan: null } });
    expect((await renderError('Plan {{ attributes.plan }}', vars)).message).toContain('"attributes.plan"');
    expect(await renderSms('Plan {{ attributes.plan | default: "free" }}', vars)).toBe('Plan free');
  });
});

describe('__proto__ keys in data', () => {
  it('are plain keys: no prototype is set, nothing leaks', async () => {
    const vars = JSON.parse('{"__proto__":{"first_name":"Mallory"},"attributes":{"__proto__":{"plan":"evil"},"tier":"gold"}}');
    const base = { ...demoVars(), first_name: null };
    expect(await renderSms('{{ attributes.tier }} {{ first_name | default: "clean" }} {{ attributes.plan | default: "none" }}', { ...base, ...vars, attributes: vars.attributes })).toBe('gold clean none');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
