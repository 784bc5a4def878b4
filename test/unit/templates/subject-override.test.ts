/** An A/B variant's subject over the sample newsletter: Liquid per recipient, the body shared; not for SMS. */
import { describe, expect, it } from 'vitest';
import { RenderError } from '../../../src/templates/contract.js';
import { loadTemplate } from '../../../src/templates/index.js';
import { withSubject } from '../../../src/templates/subject-override.js';
import { ROOT } from '../../support/cli.js';

const customer = { id: 1, first_name: 'Ana', email: 'ana@example.com', unsubscribe_url: 'https://example.com/u/x', campaign: { name: 'x', id: 1 }, now: '2026-06-01T10:00:00Z' };

describe('withSubject', { timeout: 60_000 }, () => {
  it('renders the variant subject per recipient and keeps the template body', async () => {
    const base = await loadTemplate(ROOT, 'spring-sale', { channel: 'email' });
    const b = await withSubject(base, '{{ first_name }}, your spring picks', 'campaign x: variants.b.subject');
    const x = base.render(customer);
    const y = b.render(customer);
    if (x.channel !== 'email' || y.channel !== 'email') throw new Error('an email template renders email');
    expect(y.subject).toBe('Ana, your spring picks');
    expect(y.html).toBe(x.html);
    expect(() => b.render({ ...customer, first_name: undefined })).toThrow(/campaign x: variants\.b\.subject:1:4: missing variable "first_name"/);
  });

  it('an SMS template takes no subject', async () => {
    const sms = await loadTemplate(ROOT, 'flash-sale', { channel: 'sms' });
    await expect(withSubject(sms, 'x', 'v')).rejects.toBeInstanceOf(RenderError);
  });
});
