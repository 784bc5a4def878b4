/**
 * What a WhatsApp template's `category` and `language` may be: shared by the template checker
 * and the `template new whatsapp` flags, which check them before writing anything. Imports
 * nothing, so the CLI can load it at start-up.
 */
export const CATEGORIES = ['MARKETING', 'UTILITY', 'AUTHENTICATION'] as const;
export type WhatsAppCategory = (typeof CATEGORIES)[number];

const LANGUAGE = /^[a-z]{2,3}(_[A-Z]{2}|_[A-Za-z]{4})?$/;

/** Why `language` is not a WhatsApp language code, or undefined when it is one. */
export function languageProblem(language: string): string | undefined {
  return LANGUAGE.test(language) ? undefined : `language "${language}" is not a WhatsApp language code like en_US or pt_BR`;
}
