/**
 * Compliance keys every providers.yaml entry may carry, whatever its type:
 *
 *   require_opt_out: true          # SMS: pre-flight refuses a template without opt-out text
 *   price: 0.0001                  # per email / WhatsApp message, or per SMS segment
 *   price: { default: 0.0079, "+1": 0.0083, "+44": 0.04 }   # SMS: per segment by number prefix
 *
 * They stay in `ProviderConfig.settings` (snake_case) for the pre-flight check to read
 * (src/campaigns/check.ts).
 */
import { z } from 'zod';

const amount = z.number().nonnegative();

export const priceSchema = z.union([
  amount,
  z.record(z.string().regex(/^(default|\+[1-9]\d{0,5})$/, 'price keys are "default" or a number prefix like "+44"'), amount),
]);

export type Price = z.infer<typeof priceSchema>;

export const COMPLIANCE_SETTINGS = {
  require_opt_out: z.boolean().optional(),
  price: priceSchema.optional(),
};

/** The price of one unit for `address`: the longest matching prefix, else `default`; undefined when unpriced. */
export function unitPrice(price: Price | undefined, address: string): number | undefined {
  if (price === undefined) return undefined;
  if (typeof price === 'number') return price;
  let best: string | undefined;
  for (const key of Object.keys(price)) if (key !== 'default' && address.startsWith(key) && (!best || key.length > best.length)) best = key;
  return best ? price[best] : price.default;
}
