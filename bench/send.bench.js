// Campaign sends through mkt's real path (seeded customers → create → prepare → sendCampaign),
// each beside a baseline measured in the same run:
//  (a) throughput against a local SES stub (bench/ses-stub.js, its own process) at concurrency 64,
//      100,000 recipients, vs a bare loop of SESv2Client SendEmail calls at the same concurrency with
//      a message of the same size (target ≥ 0.8×), and nodemailer's SES transport sending the same
//      message in a plain loop (what a user would pick instead). Interleaved rounds; medians.
//  (b) personalised emails/s of the sample newsletter with a zero-latency provider (a no-op
//      `type: module` provider), vs rendering alone (target ≥ 5,000/s).
//  (c) throttle accuracy: `--throttle 200/s` for 30 s, counted per 1-second window at the stub.
//  (d) peak RSS of `mkt campaign send` (the built CLI, its own process) for 1,000,000 recipients
//      vs 10,000 (target ≤ 1.3×).
//  (e) the send of (a) with the ledger on PostgreSQL (PostgresLedger: claims with FOR UPDATE SKIP
//      LOCKED, the worker registry) vs the same send on SQLite, interleaved rounds in this run
//      (issue 14: target ≥ 0.8× the SQLite figure). Needs a server (./pg-database.js).
// MKT_BENCH_SCALE (e.g. 0.01) shrinks every size for a quick run.
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createCampaign } from '../dist/campaigns/create.js';
import { prepareCampaign } from '../dist/campaigns/prepare.js';
import { sendCampaign } from '../dist/campaigns/send.js';
import { favourSmallHeap } from '../dist/cli/heap.js';
import { loadSendHooks } from '../dist/campaigns/compliance-hooks.js';
import { toRecord } from '../dist/customers/record.js';
import { openRepositories, poolSizeFor } from '../dist/db/connect.js';
import { copyDatabase } from '../dist/db/copy.js';
import { openPgStore } from '../dist/db/pg/open.js';
import { customers } from '../dist/db/schema.js';
import { loadTemplate } from '../dist/templates/index.js';
import { measure, runBenchInChild } from './child.js';
import { benchDatabase } from './pg-database.js';
import { spawnSesStub } from './ses-stub.js';
import { benchWorkspace, median, ROOT, round, scaled } from './workspace.js';

const CONCURRENCY = 64;
const ROUNDS = 3;
const SEND = scaled(100_000, ROUNDS * 10);
const ZERO = scaled(60_000, ROUNDS * 10);
const THROTTLE = 200;
const THROTTLE_S = Math.max(2, Math.round(30 * Number(process.env.MKT_BENCH_SCALE ?? 1)));
const RSS_BIG = Number(process.env.MKT_BENCH_RSS_BIG ?? scaled(1_000_000, 100));
const RSS_SMALL = scaled(10_000, 10);
const RSS_MID = scaled(100_000, 100);
const RSS_BUDGET_S = Number(process.env.MKT_BENCH_RSS_BUDGET_S ?? 300);
const SENDERS = ['Acme News <news@m1.acme.example>', 'Acme News <news@m2.acme.example>'];
const KEY = { BENCH_AWS_KEY: 'AKIDBENCH', BENCH_AWS_SECRET: 'bench-secret-not-real' };

const providersYaml = (sesUrl) => `providers:
  - name: ses-bench
    type: ses
    channel: email
    region: us-east-1
    endpoint: ${sesUrl}
    access_key_id: \${BENCH_AWS_KEY}
    secret_access_key: \${BENCH_AWS_SECRET}
    concurrency: ${CONCURRENCY}
    senders: ${JSON.stringify(SENDERS)}
  - name: noop
    type: module
    channel: email
    module: ${JSON.stringify(path.join(ROOT, 'bench', 'noop-provider.js'))}
    concurrency: ${CONCURRENCY}
    senders: ${JSON.stringify(SENDERS)}
`;

/** Runs `fn(i)` for i in [0, n) with at most `concurrency` calls in flight. */
async function pool(n, concurrency, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

async function timed(fn) {
  const t = performance.now();
  const out = await fn();
  return { seconds: (performance.now() - t) / 1000, out };
}

function figure(name, value, unit, baseline, baselineValue, extra = {}) {
  return { name, value: round(value, 1), unit, baseline, baselineValue: round(baselineValue, 1), ratio: Number((value / baselineValue).toPrecision(3)), ...extra };
}

/** Sends `count` more recipients of `campaign` (a resumed send with --limit); checks they all went. */
async function sendRound(deps, hooks, campaign, count, extra = {}) {
  const { seconds, out } = await timed(() => sendCampaign(deps, campaign, { ...hooks, concurrency: CONCURRENCY, limit: count, ...extra }));
  if (out.error && out.error.code !== 'limit') throw out.error;
  if (out.summary.sent !== count) throw new Error(`${campaign}: sent ${out.summary.sent} of ${count} (${JSON.stringify(out.summary).slice(0, 400)})`);
  return seconds;
}

function splitRounds(total) {
  const per = Math.ceil(total / ROUNDS);
  return Array.from({ length: ROUNDS }, (_, r) => Math.max(0, Math.min(per, total - r * per)));
}

/** One recipient's rendered newsletter, as the baselines send it (same size as mkt's messages). */
async function sampleMessage(ws, deps, hooks) {
  const template = await loadTemplate(ws.dir, 'spring-sale', { channel: 'email', campaign: { name: 'bench', id: 1 } });
  const vars = sampleVars(deps, hooks, 1)[0];
  const r = template.render(vars);
  return { subject: r.subject, html: r.html, text: r.text, unsubscribe: vars.unsubscribe_url };
}

/** Template variables for the first `n` customers, built as the send path builds them. */
function sampleVars(deps, hooks, n) {
  const rows = deps.store.db.select().from(customers).orderBy(customers.id).limit(n).all();
  return rows.map((row) => {
    const customer = toRecord(row);
    const links = hooks.unsubscribe?.({ campaignId: 1, customerId: customer.id, channel: 'email' });
    return { ...customer, campaign: { name: 'bench', id: 1 }, now: new Date().toISOString(), ...(links ? { unsubscribe_url: links.url } : {}) };
  });
}

function sesClientFor(SESv2Client, url) {
  return new SESv2Client({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: KEY.BENCH_AWS_KEY, secretAccessKey: KEY.BENCH_AWS_SECRET },
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 30_000, throwOnRequestTimeout: true, httpAgent: { keepAlive: true, maxSockets: CONCURRENCY } },
  });
}

async function bareSdkRound(url, msg, count, offset) {
  const { SESv2Client, SendEmailCommand } = await import('@aws-sdk/client-sesv2');
  const client = sesClientFor(SESv2Client, url);
  try {
    const { seconds } = await timed(() =>
      pool(count, CONCURRENCY, (i) =>
        client.send(
          new SendEmailCommand({
            FromEmailAddress: SENDERS[i % 2],
            Destination: { ToAddresses: [`customer${offset + i}@bench.example`] },
            EmailTags: [
              { Name: 'campaign', Value: 'bench' },
              { Name: 'delivery', Value: `c1_r${offset + i}_a1` },
            ],
            Content: {
              Simple: {
                Subject: { Data: msg.subject, Charset: 'UTF-8' },
                Body: { Text: { Data: msg.text, Charset: 'UTF-8' }, Html: { Data: msg.html, Charset: 'UTF-8' } },
                Headers: [
                  { Name: 'List-Unsubscribe', Value: `<${msg.unsubscribe}>` },
                  { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
                ],
              },
            },
          }),
        ),
      ),
    );
    return seconds;
  } finally {
    client.destroy();
  }
}

async function nodemailerRound(url, msg, count, offset) {
  const [{ SESv2Client, SendEmailCommand }, { default: nodemailer }] = await Promise.all([import('@aws-sdk/client-sesv2'), import('nodemailer')]);
  const sesClient = sesClientFor(SESv2Client, url);
  const transport = nodemailer.createTransport({ SES: { sesClient, SendEmailCommand } });
  try {
    const { seconds } = await timed(() =>
      pool(count, CONCURRENCY, (i) =>
        transport.sendMail({
          from: SENDERS[i % 2],
          to: `customer${offset + i}@bench.example`,
          subject: msg.subject,
          text: msg.text,
          html: msg.html,
          headers: { 'List-Unsubscribe': `<${msg.unsubscribe}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
          ses: { EmailTags: [{ Name: 'delivery', Value: `c1_r${offset + i}_a1` }] },
        }),
      ),
    );
    return seconds;
  } finally {
    transport.close();
    sesClient.destroy();
  }
}

async function expectReceived(stub, count, who) {
  const { count: got } = await stub.stats();
  if (got !== count) throw new Error(`${who}: the stub accepted ${got} requests, expected ${count}`);
  await stub.reset();
}

/** (a) mkt vs a bare SDK loop vs nodemailer, against the SES stub. */
async function throughput(stub) {
  const ws = benchWorkspace({ providers: providersYaml(stub.url), customers: SEND, extraEnv: KEY });
  const { store, deps } = ws.open();
  try {
    const hooks = await loadSendHooks(ws.dir, ws.env);
    await createCampaign(deps, { name: 'ses-throughput', channel: 'email', segment: 'everyone-email', provider: 'ses-bench', template: 'spring-sale' });
    const plan = await prepareCampaign(deps, 'ses-throughput', { exclusions: hooks.exclusions });
    if (plan.recipients !== SEND) throw new Error(`prepared ${plan.recipients} recipients, expected ${SEND}`);
    const msg = await sampleMessage(ws, deps, hooks);
    const rates = { mkt: [], bare: [], nodemailer: [] };
    let offset = 0;
    await stub.reset();
    for (const count of splitRounds(SEND)) {
      if (count === 0) continue;
      rates.mkt.push(count / (await sendRound(deps, hooks, 'ses-throughput', count)));
      await expectReceived(stub, count, 'mkt');
      rates.bare.push(count / (await bareSdkRound(stub.url, msg, count, offset)));
      await expectReceived(stub, count, 'bare SDK loop');
      rates.nodemailer.push(count / (await nodemailerRound(stub.url, msg, count, offset)));
      await expectReceived(stub, count, 'nodemailer');
      offset += count;
    }
    const mkt = median(rates.mkt);
    const bare = median(rates.bare);
    const nm = median(rates.nodemailer);
    const runs = rates.mkt.length;
    return {
      figures: [
        figure(`send ${SEND} recipients via SES stub, concurrency ${CONCURRENCY}`, mkt, 'msgs/s', 'bare SESv2Client SendEmail loop', bare, { target: '≥ 0.8×', pass: mkt / bare >= 0.8, runs }),
        figure('nodemailer SES transport, same message and concurrency', nm, 'msgs/s', 'bare SESv2Client SendEmail loop', bare, { runs }),
        figure('mkt send vs nodemailer SES transport', mkt, 'msgs/s', 'nodemailer SES transport loop', nm, { runs }),
      ],
      detail: { html_bytes: Buffer.byteLength(msg.html), rounds: Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, v.map((x) => Math.round(x))])) },
    };
  } finally {
    store.close();
    ws.remove();
  }
}

/** (e) the SES-stub send with its ledger on PostgreSQL vs on SQLite: the same customers, rounds interleaved. */
async function pgThroughput(stub) {
  const target = await benchDatabase();
  if (!target.url) return { figures: [], notes: [`PostgreSQL send not measured: ${target.why}`] };
  const ws = benchWorkspace({ providers: providersYaml(stub.url), customers: SEND, extraEnv: KEY });
  const { store, deps } = ws.open();
  let repos;
  try {
    const t = performance.now();
    await copyDatabase(ws.db, target.url, { cwd: ws.dir });
    // the bench goes on sending from the file too: it stays live (a copy up marks its source moved)
    store.sqlite.exec('DELETE FROM store_moved');
    const copySeconds = (performance.now() - t) / 1000;
    // the pool the CLI opens for this concurrency (src/cli/context.ts)
    repos = await openRepositories({ kind: 'postgres', url: target.url }, { poolSize: poolSizeFor(CONCURRENCY) });
    // and the send path's store on the same pool, as src/cli/campaign/core.ts gives it
    const pgDeps = { repos, pg: await openPgStore(target.url), workspace: ws.dir, env: ws.env, now: Date.now };
    const hooks = await loadSendHooks(ws.dir, ws.env);
    const spec = { name: 'ses-store', channel: 'email', segment: 'everyone-email', provider: 'ses-bench', template: 'spring-sale' };
    for (const d of [deps, pgDeps]) {
      await createCampaign(d, spec);
      const plan = await prepareCampaign(d, spec.name, { exclusions: hooks.exclusions });
      if (plan.recipients !== SEND) throw new Error(`prepared ${plan.recipients} recipients, expected ${SEND}`);
    }
    const rates = { sqlite: [], postgres: [] };
    await stub.reset();
    for (const count of splitRounds(SEND)) {
      if (count === 0) continue;
      rates.sqlite.push(count / (await sendRound(deps, hooks, spec.name, count)));
      await expectReceived(stub, count, 'mkt on SQLite');
      rates.postgres.push(count / (await sendRound(pgDeps, hooks, spec.name, count)));
      await expectReceived(stub, count, 'mkt on PostgreSQL');
    }
    const mine = median(rates.postgres);
    const theirs = median(rates.sqlite);
    return {
      figures: [
        figure(`send ${SEND} recipients via SES stub, concurrency ${CONCURRENCY}, ledger on PostgreSQL`, mine, 'msgs/s', 'the same send with the ledger on SQLite', theirs, {
          target: '≥ 0.8×',
          pass: mine / theirs >= 0.8,
          runs: rates.postgres.length,
        }),
      ],
      notes: [`PostgreSQL: the seeded store moved up with \`mkt db copy\` (${round(copySeconds, 1)} s), one worker, a pool of ${poolSizeFor(CONCURRENCY)} connections.`],
      detail: { pg_rounds: Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, v.map((x) => Math.round(x))])) },
    };
  } finally {
    await repos?.close();
    store.close();
    ws.remove();
    await target.drop();
  }
}

/** (b) the whole pipeline with a provider that answers at once, vs rendering alone. */
async function zeroLatency() {
  const ws = benchWorkspace({ providers: providersYaml('http://127.0.0.1:9'), customers: ZERO, extraEnv: KEY });
  const { store, deps } = ws.open();
  try {
    const hooks = await loadSendHooks(ws.dir, ws.env);
    await createCampaign(deps, { name: 'zero-latency', channel: 'email', segment: 'everyone-email', provider: 'noop', template: 'spring-sale' });
    await prepareCampaign(deps, 'zero-latency', { exclusions: hooks.exclusions });
    const template = await loadTemplate(ws.dir, 'spring-sale', { channel: 'email', campaign: { name: 'zero-latency', id: 1 } });
    const vars = sampleVars(deps, hooks, 1000);
    const mkt = [];
    const render = [];
    for (const count of splitRounds(ZERO)) {
      if (count === 0) continue;
      globalThis.gc?.();
      mkt.push(count / (await sendRound(deps, hooks, 'zero-latency', count)));
      globalThis.gc?.();
      const t = performance.now();
      for (let i = 0; i < count; i++) template.render(vars[i % vars.length]);
      render.push(count / ((performance.now() - t) / 1000));
    }
    const rate = median(mkt);
    return figure(`personalised sample newsletter, zero-latency provider (${ZERO} recipients)`, rate, 'emails/s', 'rendering alone (template.render)', median(render), {
      target: '≥ 5,000 emails/s',
      pass: rate >= 5000,
      runs: mkt.length,
    });
  } finally {
    store.close();
    ws.remove();
  }
}

/** Accepted requests per 1-second window (full windows only, from the first request). */
export function windowRates(times) {
  const t0 = times[0];
  const span = times[times.length - 1] - t0;
  const full = Math.floor(span / 1000);
  const counts = new Array(full).fill(0);
  for (const t of times) {
    const w = Math.floor((t - t0) / 1000);
    if (w < full) counts[w]++;
  }
  // the busiest 1-second window starting at any request
  let slidingMax = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (j < times.length && times[j] < times[i] + 1000) j++;
    slidingMax = Math.max(slidingMax, j - i);
  }
  return { counts, slidingMax, mean: span > 0 ? ((times.length - 1) * 1000) / span : 0 };
}

/** (c) `--throttle 200/s` through the SES stub, measured where the requests arrive. */
async function throttleAccuracy(stub) {
  const count = THROTTLE * THROTTLE_S;
  const ws = benchWorkspace({ providers: providersYaml(stub.url), customers: count, extraEnv: KEY });
  const { store, deps } = ws.open();
  try {
    const hooks = await loadSendHooks(ws.dir, ws.env);
    await createCampaign(deps, { name: 'throttled', channel: 'email', segment: 'everyone-email', provider: 'ses-bench', template: 'spring-sale', throttle: `${THROTTLE}/s` });
    await prepareCampaign(deps, 'throttled', { exclusions: hooks.exclusions });
    await stub.reset();
    await sendRound(deps, hooks, 'throttled', count);
    const { times } = await stub.stats(true);
    const w = windowRates(times);
    const max = w.counts.length ? Math.max(...w.counts) : w.slidingMax;
    const min = w.counts.length ? Math.min(...w.counts) : w.slidingMax;
    const within = (x) => Math.abs(x - THROTTLE) <= THROTTLE * 0.03;
    const extra = (pass) => ({ target: '±3% of 200/s', pass });
    return [
      figure(`throttle ${THROTTLE}/s for ${THROTTLE_S} s: overall mean at the stub`, w.mean, 'msgs/s', 'configured rate', THROTTLE, extra(within(w.mean))),
      figure('throttle: busiest 1-second window', max, 'msgs/s', 'configured rate', THROTTLE, extra(within(max))),
      figure('throttle: quietest 1-second window', min, 'msgs/s', 'configured rate', THROTTLE, extra(within(min))),
      figure('throttle: busiest sliding 1-second window', w.slidingMax, 'msgs/s', 'configured rate', THROTTLE, { target: '≤ 1.03×', pass: w.slidingMax <= THROTTLE * 1.03 }),
    ];
  } finally {
    store.close();
    ws.remove();
  }
}

/** (d) peak RSS of the built CLI sending `recipients` through the zero-latency provider. */
async function cliSendRss(recipients) {
  const ws = benchWorkspace({ providers: providersYaml('http://127.0.0.1:9'), customers: recipients, extraEnv: KEY });
  try {
    const { store, deps } = ws.open();
    try {
      await createCampaign(deps, { name: 'rss', channel: 'email', segment: 'everyone-email', provider: 'noop', template: 'spring-sale' });
      await prepareCampaign(deps, 'rss');
    } finally {
      store.close();
    }
    const run = await measure([path.join(ROOT, 'bin', 'mkt.js'), '--workspace', ws.dir, '--json', 'campaign', 'send', 'rss', '--yes', '--concurrency', String(CONCURRENCY)], {
      ...ws.env,
      CI: 'true',
    });
    const summary = JSON.parse(run.stdout);
    if (summary.sent !== recipients) throw new Error(`rss send: sent ${summary.sent} of ${recipients}`);
    return { ...run, summary };
  } finally {
    ws.remove();
  }
}

/** `MKT_BENCH_SEND_ONLY=throughput,zero,throttle,rss,pg` runs only those parts (all by default). */
const PARTS = new Set((process.env.MKT_BENCH_SEND_ONLY ?? 'throughput,zero,throttle,rss,pg').split(','));
const ORDER = ['throughput', 'throttle', 'pg', 'zero', 'rss'];

/** Several parts run one fresh process each (what one part leaves in the heap must not weigh on the next). */
export default async function sendBench() {
  const parts = ORDER.filter((p) => PARTS.has(p));
  if (parts.length <= 1) return sendParts();
  const merged = { figures: [], notes: [], detail: {} };
  for (const part of parts) {
    const r = await runBenchInChild('send.bench.js', { MKT_BENCH_SEND_ONLY: part });
    merged.figures.push(...r.figures);
    merged.notes.push(...r.notes);
    Object.assign(merged.detail, r.detail);
    merged.description = r.description;
  }
  return merged;
}

async function sendParts() {
  // what `mkt campaign send` sets for itself, so in-process figures are those of the CLI's set-up
  favourSmallHeap();
  const figures = [];
  const notes = [];
  const detail = {};
  if (PARTS.has('throughput') || PARTS.has('throttle') || PARTS.has('pg')) {
    const stub = await spawnSesStub();
    try {
      if (PARTS.has('throughput')) {
        const a = await throughput(stub);
        figures.push(...a.figures);
        Object.assign(detail, a.detail);
        notes.push(`Bare loop and nodemailer send one pre-rendered copy of the newsletter (${a.detail.html_bytes} bytes of HTML) to every recipient; mkt renders, signs the unsubscribe link and records each recipient.`);
      }
      if (PARTS.has('throttle')) figures.push(...(await throttleAccuracy(stub)));
      if (PARTS.has('pg')) {
        const e = await pgThroughput(stub);
        figures.push(...e.figures);
        notes.push(...e.notes);
        Object.assign(detail, e.detail);
      }
    } finally {
      await stub.close();
    }
  }
  if (PARTS.has('zero')) {
    figures.push(await zeroLatency());
    notes.push('The zero-latency provider (bench/noop-provider.js) answers on the next turn of the event loop, as an I/O completion would.');
  }
  if (PARTS.has('rss')) {
    const small = await cliSendRss(RSS_SMALL);
    // A send much slower than a few minutes is measured at the largest size that fits the budget.
    const fits = Math.floor((small.summary.rate_per_s * RSS_BUDGET_S) / 100_000) * 100_000;
    const bigSize = fits >= RSS_BIG ? RSS_BIG : Math.max(fits, Math.min(RSS_BIG, 100_000));
    if (bigSize < RSS_BIG) {
      notes.push(`At the ${Math.round(small.summary.rate_per_s)}/s measured with ${RSS_SMALL} recipients, ${RSS_BIG} recipients would take about ${Math.round(RSS_BIG / small.summary.rate_per_s)} s, over the ${RSS_BUDGET_S} s budget (MKT_BENCH_RSS_BUDGET_S): measured at ${bigSize}.`);
    }
    // a middle size shows whether memory levels off (V8 sizes its heap to the allocation rate) or keeps growing
    const midSize = Math.min(RSS_MID, bigSize);
    const mid = midSize > RSS_SMALL && midSize < bigSize ? await cliSendRss(midSize) : undefined;
    const big = await cliSendRss(bigSize);
    figures.push(
      figure(`peak RSS, \`mkt campaign send\` of ${bigSize} recipients`, big.peakMb, 'MB', `the same send of ${RSS_SMALL} recipients`, small.peakMb, {
        target: '≤ 1.3×',
        pass: big.peakMb / small.peakMb <= 1.3,
      }),
      ...(mid ? [figure(`peak RSS, \`mkt campaign send\` of ${bigSize} recipients`, big.peakMb, 'MB', `the same send of ${midSize} recipients`, mid.peakMb)] : []),
    );
    notes.push(`The ${bigSize}-recipient send took ${round(big.seconds, 1)} s through the built CLI (zero-latency provider, concurrency ${CONCURRENCY}); the ${RSS_SMALL}-recipient one ${round(small.seconds, 1)} s.`);
    detail.rss_seconds = { big: round(big.seconds, 1), small: round(small.seconds, 1) };
  }
  return {
    description:
      'Campaign sends through the real path (create → prepare → sendCampaign) with rendering, signed unsubscribe links and the ledger, against a local SES stub in its own process; throughput figures are medians of 3 interleaved rounds; each part (SES throughput, throttle, PostgreSQL ledger, zero-latency, RSS) runs in a fresh process.',
    figures,
    notes,
    detail,
  };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1])) console.log(JSON.stringify(await sendBench(), null, 2));
