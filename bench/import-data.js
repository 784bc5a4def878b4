// A deterministic customer CSV for the import benchmark: realistic columns, national phone
// numbers read with the row's country, some attributes. Written in 1 MB blocks.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

const COUNTRIES = [
  ['DE', '0151 2', 7],
  ['GB', '07400 1', 5],
  ['FR', '06 1', 7],
  ['US', '(201) 5', 6],
  ['NL', '06 1', 7],
];
const PLANS = ['free', 'pro', 'enterprise'];
export const HEADER = 'Customer ID,E-Mail,Mobile,First Name,Last Name,Country,LTV,Orders,Last Order,Newsletter,SMS Consent,plan,score\n';

/** Row i as CSV text (no newline) and as the values a bare insert would store. */
export function row(i) {
  const [country, prefix, digits] = COUNTRIES[i % COUNTRIES.length];
  const phone = prefix + String((i * 37) % 10 ** digits).padStart(digits, '0');
  const ltv = ((i * 7919) % 100000) / 100;
  const orders = i % 13;
  const day = String(1 + (i % 28)).padStart(2, '0');
  const last = orders ? `2025-${String(1 + (i % 12)).padStart(2, '0')}-${day}` : '';
  return `c${i},customer${i}@example.com,${phone},Ann,Example,${country},${ltv.toFixed(2)},${orders},${last},${i % 3 ? 'yes' : 'no'},${i % 4 ? '' : 'y'},${PLANS[i % 3]},${i % 100}`;
}

export async function writeCsv(file, count) {
  const out = createWriteStream(file);
  let block = HEADER;
  for (let i = 1; i <= count; i++) {
    block += row(i) + '\n';
    if (block.length > 1 << 20) {
      if (!out.write(block)) await once(out, 'drain');
      block = '';
    }
  }
  out.end(block);
  await once(out, 'finish');
}
