// Preloaded with `node --import` to record every module URL the ESM loader resolves,
// so a test can prove which libraries a command loads.
import { register } from 'node:module';
import { appendFileSync } from 'node:fs';

const out = process.env.MKT_LOAD_TRACE;
const { port1, port2 } = new MessageChannel();
port1.on('message', (url) => appendFileSync(out, url + '\n'));
port1.unref();
register(new URL('./load-trace-hooks.mjs', import.meta.url), { data: { port: port2 }, transferList: [port2] });
