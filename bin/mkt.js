#!/usr/bin/env node
// Entry point: load the compiled CLI and turn its result into the process exit code.
// This is the only place in mkt that ends the process.
import { main } from '../dist/cli/main.js';
import { quietOnBrokenPipe } from '../dist/output/pipes.js';

// `mkt … | head`: a closed pipe ends the output quietly, not with an EPIPE stack trace
quietOnBrokenPipe();
const code = await main(process.argv);
process.exitCode = code;
// Give pending writes a moment, then end even if a library left a handle open (keep-alive sockets).
setTimeout(() => process.exit(code), 2000).unref();
