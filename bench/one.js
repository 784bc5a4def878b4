// Runs one bench file in this process and writes its result as JSON to a file:
//   node --expose-gc bench/one.js <name>.bench.js <out.json>
// bench/run.js starts one such process per bench (and the send bench one per part), so that no
// figure depends on what an earlier bench left in the heap, the allocator or the module cache:
// a 1M-row import before it once cut the zero-latency send figure by 40%.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const [file, out] = process.argv.slice(2);
if (!file || !out) throw new Error('usage: node bench/one.js <name>.bench.js <out.json>');
const mod = await import(path.join(here, file));
writeFileSync(out, JSON.stringify(await mod.default()));
