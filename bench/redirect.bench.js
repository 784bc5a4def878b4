// Tracked-link redirects: requests per second that `mkt serve` answers `GET /c/<token>` with a
// 302 (token checked, destination from campaign_links, the hit queued for its batch write),
// measured with autocannon from this process against the server in its own process, beside a
// bare node:http server (also its own process) answering the same 302 with the same Location,
// in the same run. Rounds are interleaved (bare, serve, bare, serve …) so load hits both alike.
// Targets (issue 15): ≥ 2,000 redirects/s and ≥ 0.5× the bare server.
// Then (issue 14) hits recorded per second: a burst of redirects answered by serve with its store
// on SQLite, and the same serve with the workspace moved up to PostgreSQL (`mkt db copy`;
// ./pg-database.js), interleaved rounds in this run, timed from the first request to the moment
// the store holds every hit (the batches are written after the answers).
// MKT_BENCH_REDIRECT_ONLY=redirect or =hits runs one part (both by default).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import pg from 'pg';
import { benchDatabase } from './pg-database.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'mkt.js');
const SECRET = 'bench-unsubscribe-secret-0123456789';
const RECIPIENTS = Number(process.env.MKT_BENCH_REDIRECT_RECIPIENTS ?? 200);
const ROUNDS = 3;
const SECONDS = Math.max(1, Math.round(5 * Number(process.env.MKT_BENCH_SCALE ?? 1)));
const CONNECTIONS = 20;

function workspace(recipients = RECIPIENTS) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-redirect-bench-'));
  const w = (file, text) => {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  };
  w('providers.yaml', 'providers:\n  - name: outbox\n    type: outbox\n    channel: email\n    senders: [ "News <news@shop.example.com>" ]\n');
  w('mkt.yaml', `unsubscribe:\n  base_url: https://mkt.example.com/u\n  secret: \${MKT_UNSUBSCRIBE_SECRET}\ntracking:\n  base_url: https://t.shop.example\n  utm: { source: mkt, medium: "{{ channel }}" }\n`);
  w('segments/all.yaml', 'where:\n  email_opt_in: true\n');
  w(
    'templates/email/news.mjml',
    '---\nsubject: "Hi"\n---\n<mjml><mj-body><mj-section><mj-column><mj-text><a href="https://shop.example/sale">Sale</a> <a href="https://shop.example/new">New</a></mj-text><mj-text><a href="{{ unsubscribe_url }}">Unsubscribe</a></mj-text></mj-column></mj-section></mj-body></mjml>\n',
  );
  w('customers.csv', 'email,email_opt_in\n' + Array.from({ length: recipients }, (_, i) => `r${i}@bench.example,yes`).join('\n') + '\n');
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', MKT_UNSUBSCRIBE_SECRET: SECRET, MKT_NOW: '2026-01-01T00:00:00Z' };
  for (const args of [
    ['customers', 'import', 'customers.csv'],
    ['campaign', 'create', '--name', 'news', '--channel', 'email', '--segment', 'all', '--provider', 'outbox', '--template', 'news'],
    ['campaign', 'prepare', 'news'],
    ['campaign', 'send', 'news', '--yes'],
  ]) execFileSync(process.execPath, [BIN, ...args], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
  return { dir, env };
}

/** Starts a server process that prints `{"listening": url, …}` (possibly over several lines) on stdout. */
function startProcess(args, opts) {
  const child = spawn(process.execPath, args, { ...opts, stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start: ${out}`));
    }, 60_000);
    child.stdout.on('data', (d) => {
      out += d;
      try {
        resolve({ child, url: JSON.parse(out).listening });
        clearTimeout(timer);
      } catch {
        // not complete yet
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
}

const BARE = `
const http = require('node:http');
const location = process.argv[1];
const server = http.createServer((req, res) => {
  res.writeHead(302, { location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'content-length': '0' });
  res.end();
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ listening: 'http://127.0.0.1:' + server.address().port })));
`;

function measure(url, paths) {
  let i = 0;
  return new Promise((resolve, reject) => {
    autocannon(
      { url, connections: CONNECTIONS, duration: SECONDS, requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: paths[i++ % paths.length] }) }] },
      (err, result) => {
        if (err) return reject(err);
        const non3xx = result.non2xx - (result.statusCodeStats?.['302']?.count ?? 0);
        if (result.errors > 0 || non3xx > 0) return reject(new Error(`${url}: ${result.errors} errors, ${non3xx} answers other than 302`));
        resolve(result.requests.average);
      },
    );
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const PARTS = new Set((process.env.MKT_BENCH_REDIRECT_ONLY ?? 'redirect,hits').split(','));

export default async function redirectBench() {
  const parts = [];
  if (PARTS.has('redirect')) parts.push(await redirects());
  if (PARTS.has('hits')) parts.push(await hitsRecorded());
  return {
    description: parts.map((p) => p.description).join(' '),
    figures: parts.flatMap((p) => p.figures),
    detail: Object.assign({}, ...parts.map((p) => p.detail)),
    ...(parts.some((p) => p.notes) ? { notes: parts.flatMap((p) => p.notes ?? []) } : {}),
  };
}

/** A browser's user agent: the hits are counted human (no user agent is a machine's). */
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';
const HIT_BURST = Math.max(1000, Math.round(20_000 * Number(process.env.MKT_BENCH_SCALE ?? 1)));

/** Sends `amount` GETs (each a 302) as fast as 20 connections go; resolves when all are answered. */
function burst(url, paths, amount) {
  let i = 0;
  return new Promise((resolve, reject) => {
    const requests = [{ method: 'GET', headers: { 'user-agent': BROWSER }, setupRequest: (req) => ({ ...req, path: paths[i++ % paths.length] }) }];
    autocannon({ url, connections: CONNECTIONS, amount, requests }, (err, result) => {
      if (err) return reject(err);
      const answered = result.statusCodeStats?.['302']?.count ?? 0;
      if (result.errors > 0 || answered !== amount) return reject(new Error(`${url}: ${result.errors} errors, ${answered} of ${amount} answered 302`));
      resolve();
    });
  });
}

/** Hits per second serve records on SQLite and on PostgreSQL (same workspace, same tokens, same run). */
async function hitsRecorded() {
  const recipients = Number(process.env.MKT_BENCH_REDIRECT_RECIPIENTS ?? 2000);
  const { dir, env } = workspace(recipients);
  const target = await benchDatabase();
  if (target.why) {
    rmSync(dir, { recursive: true, force: true });
    return { description: '', figures: [], detail: {}, notes: [`hits recorded on PostgreSQL: not measured: ${target.why}`] };
  }
  execFileSync(process.execPath, [BIN, 'db', 'copy', path.join(dir, '.mkt', 'mkt.db'), target.url, '--replace'], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const { TrackingTokens } = await import(pathToFileURL(path.join(ROOT, 'dist', 'compliance', 'tokens.js')).href);
  const tokens = new TrackingTokens({ keyId: 'k1', secret: SECRET });
  // one link per recipient, as people click (every link of a message within seconds is a scanner's sweep)
  const paths = Array.from({ length: recipients }, (_, i) => `/c/${tokens.sign({ campaignId: 1, ledgerId: i + 1, linkId: (i % 2) + 1 })}`);
  // the clicks on links 1 and 2 the store holds (each hit adds one to its link's hourly row)
  const SQL = 'SELECT coalesce(sum(count), 0) AS n FROM engagement_hourly WHERE kind = \'click\' AND link_id > 0';
  const lite = new Database(path.join(dir, '.mkt', 'mkt.db'), { readonly: true });
  const client = new pg.Client({ connectionString: target.url });
  await client.connect();
  const stores = {
    sqlite: { env, count: async () => Number(lite.prepare(SQL).get().n) },
    postgres: { env: { ...env, MKT_DB: target.url }, count: async () => Number((await client.query(SQL)).rows[0].n) },
  };
  const servers = {};
  const rates = { sqlite: [], postgres: [] };
  try {
    for (const [name, s] of Object.entries(stores)) servers[name] = await startProcess([BIN, 'serve', '--port', '0', '--json'], { cwd: dir, env: { ...s.env, MKT_NOW: '2026-01-01T01:00:00Z' } });
    const round = async (name) => {
      const s = stores[name];
      const before = await s.count();
      const start = performance.now();
      await burst(servers[name].url, paths, HIT_BURST);
      for (let i = 0; (await s.count()) < before + HIT_BURST; i++) {
        if (i > 6000) throw new Error(`${name}: the hits were not all recorded within 10 minutes`);
        await new Promise((r) => setTimeout(r, 100));
      }
      return HIT_BURST / ((performance.now() - start) / 1000);
    };
    for (const name of Object.keys(stores)) await round(name); // warm-up: link caches, the seen-set's first rows, JIT
    for (let r = 0; r < ROUNDS; r++) for (const name of Object.keys(stores)) rates[name].push(await round(name));
  } finally {
    for (const s of Object.values(servers)) s.child.kill('SIGTERM');
    await Promise.all(Object.values(servers).map((s) => new Promise((r) => (s.child.exitCode === null ? s.child.once('exit', r) : r()))));
    lite.close();
    await client.end();
    await target.drop();
    rmSync(dir, { recursive: true, force: true });
  }
  const value = Math.round(median(rates.postgres));
  const baselineValue = Math.round(median(rates.sqlite));
  return {
    description: `Hits recorded: bursts of ${HIT_BURST} \`GET /c/<token>\` from a browser over ${paths.length} tokens (one link per recipient, ${CONNECTIONS} connections), from the first request until the store holds every hit; serve on PostgreSQL vs the same serve on SQLite, ${ROUNDS} interleaved rounds after a warm-up (median).`,
    figures: [{ name: '`mkt serve` hits recorded/s on PostgreSQL', value, unit: 'hits/s', baseline: 'the same on SQLite', baselineValue, ratio: +(value / baselineValue).toFixed(2), runs: ROUNDS }],
    detail: { hitsPostgres: rates.postgres.map(Math.round), hitsSqlite: rates.sqlite.map(Math.round) },
  };
}

async function redirects() {
  const { dir, env } = workspace();
  const { TrackingTokens } = await import(pathToFileURL(path.join(ROOT, 'dist', 'compliance', 'tokens.js')).href);
  const tokens = new TrackingTokens({ keyId: 'k1', secret: SECRET });
  // every recipient's two links: the tokens the send signed (ledger ids 1..N, campaign 1)
  const paths = Array.from({ length: RECIPIENTS * 2 }, (_, i) => `/c/${tokens.sign({ campaignId: 1, ledgerId: (i >> 1) + 1, linkId: (i % 2) + 1 })}`);
  const serve = await startProcess([BIN, 'serve', '--port', '0', '--json'], { cwd: dir, env: { ...env, MKT_NOW: '2026-01-01T01:00:00Z' } });
  const bare = await startProcess(['-e', BARE, 'https://shop.example/sale?utm_source=mkt&utm_medium=email'], {});
  const times = { serve: [], bare: [] };
  try {
    await measure(serve.url, paths.slice(0, 10)); // warm-up: caches, JIT
    for (let r = 0; r < ROUNDS; r++) {
      times.bare.push(await measure(bare.url, paths));
      times.serve.push(await measure(serve.url, paths));
    }
  } finally {
    serve.child.kill('SIGTERM');
    bare.child.kill('SIGTERM');
    await new Promise((r) => serve.child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
  const value = Math.round(median(times.serve));
  const baselineValue = Math.round(median(times.bare));
  const ratio = +(value / baselineValue).toFixed(2);
  const base = { unit: 'redirects/s', baseline: 'bare node:http 302 (own process)', baselineValue, runs: ROUNDS };
  return {
    description: `\`GET /c/<token>\` → 302 from \`mkt serve\` (token verified, destination from campaign_links, hit batched into the store) vs a bare node:http server answering the same 302; autocannon from the bench process, ${CONNECTIONS} connections, ${SECONDS} s per round, ${ROUNDS} interleaved rounds (median), ${paths.length} distinct tokens.`,
    figures: [
      { name: '`mkt serve` redirects/s', value, ...base, ratio, target: '≥ 2,000/s', pass: value >= 2000 },
      { name: '`mkt serve` vs bare node:http', value: ratio, unit: '×', baseline: 'bare node:http 302', baselineValue: 1, ratio, target: '≥ 0.5×', pass: ratio >= 0.5, runs: ROUNDS },
    ],
    detail: { serve: times.serve.map(Math.round), bare: times.bare.map(Math.round) },
  };
}
