// A minimal Amazon SES v2 endpoint for benchmarks: answers `POST /v2/email/outbound-emails` with
// `{"MessageId":"…"}` after draining the body, optionally after a fixed latency, and records when
// each request was accepted (to measure throughput and throttle accuracy at the receiving end).
// It injects no faults: the fakes in test/fakes/ do that for the tests.
//
// Run in its own process (`spawnSesStub()`) so that its CPU does not share an event loop with the
// sender being measured. Control endpoints: `GET /__stats[?times=1]`, `POST /__reset`.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

/** Starts the stub in this process. `latencyMs` delays every answer by that much. */
export function startSesStub({ latencyMs = 0, port = 0 } = {}) {
  let times = [];
  let bytes = 0;
  let next = 0;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const json = (status, body) => {
        const text = JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': `req-${next}` });
        res.end(text);
      };
      if (req.method === 'POST' && req.url === '/v2/email/outbound-emails') {
        const size = chunks.reduce((n, c) => n + c.length, 0);
        const answer = () => {
          times.push(performance.timeOrigin + performance.now());
          bytes += size;
          json(200, { MessageId: `stub-${++next}` });
        };
        if (latencyMs > 0) setTimeout(answer, latencyMs);
        else answer();
      } else if (req.method === 'GET' && req.url.startsWith('/__stats')) {
        json(200, { count: times.length, bytes, ...(req.url.includes('times=1') ? { times } : {}) });
      } else if (req.method === 'POST' && req.url === '/__reset') {
        times = [];
        bytes = 0;
        json(200, { ok: true });
      } else {
        res.writeHead(404, { 'x-amzn-ErrorType': 'NotFoundException', 'content-type': 'application/json' });
        res.end('{"message":"not served by the bench stub"}');
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/**
 * Starts the stub in a child process. Resolves to its URL and helpers to read and reset what it
 * received; `close()` ends the child.
 */
export function spawnSesStub({ latencyMs = 0 } = {}) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), String(latencyMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the SES stub exited (${code}) before listening`)));
    child.stdout.on('data', (d) => {
      out += d;
      const m = /^listening (\d+)$/m.exec(out);
      if (!m) return;
      child.stdout.removeAllListeners('data');
      child.removeAllListeners('exit');
      const url = `http://127.0.0.1:${m[1]}`;
      const call = async (method, p) => {
        const r = await fetch(url + p, { method });
        return r.json();
      };
      resolve({
        url,
        pid: child.pid,
        /** `{count, bytes, times?}`: accepted SendEmail requests since the last reset. */
        stats: (withTimes = false) => call('GET', `/__stats${withTimes ? '?times=1' : ''}`),
        reset: () => call('POST', '/__reset'),
        close: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await startSesStub({ latencyMs: Number(process.argv[2] ?? 0) });
  process.stdout.write(`listening ${server.address().port}\n`);
  process.on('SIGTERM', () => process.exit(0));
}
