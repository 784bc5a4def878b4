// Preloaded with `node --import` to record every module URL the ESM loader resolves, and every
// file CommonJS `require` resolves (mkt loads libphonenumber-js lazily through createRequire),
// so a test can prove which libraries a command loads.
import Module, { register } from 'node:module';
import { appendFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const out = process.env.MKT_LOAD_TRACE;
const { port1, port2 } = new MessageChannel();
port1.on('message', (url) => appendFileSync(out, url + '\n'));
port1.unref();
register(new URL('./load-trace-hooks.mjs', import.meta.url), { data: { port: port2 }, transferList: [port2] });

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (...args) {
  const file = resolveFilename.apply(this, args);
  if (file.startsWith('/')) appendFileSync(out, pathToFileURL(file).href + '\n');
  return file;
};
