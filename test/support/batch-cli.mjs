// Runs many CLI invocations in ONE process (the built CLI's main(), fresh program each time),
// so that a table of hundreds of rows stays fast. Input: a JSON array of { args, env } on
// argv[2]; output: one JSON array of { code, stdout, stderr }.
import { main } from '../../dist/cli/main.js';
import { bufferIo } from './buffer-io.mjs';

const rows = JSON.parse(process.argv[2]);
const results = [];
for (const row of rows) {
  const io = bufferIo({ CI: 'true', ...row.env });
  const code = await main(['node', 'mkt', ...row.args], io, { cwd: row.cwd });
  results.push({ code, stdout: io.out(), stderr: io.err() });
}
process.stdout.write(JSON.stringify(results));
