// Messages per second through the outbox provider (dist/providers), which the dispatcher's own
// benchmark pushes ≥5,000 msgs/s through. Email: one MIME .eml per message; SMS: JSON Lines on an
// append stream. Baselines, same run: writing the same bytes with plain fs calls at the same
// concurrency (the file-system floor). `ratio` = outbox rate / baseline rate.
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createProvider } from '../dist/providers/index.js';

const SCALE = Number(process.env.MKT_BENCH_SCALE ?? 1);
const EMAILS = Number(process.env.BENCH_OUTBOX_EMAILS ?? Math.max(100, Math.round(20_000 * SCALE)));
const SMS = Number(process.env.BENCH_OUTBOX_SMS ?? Math.max(100, Math.round(100_000 * SCALE)));
const CONCURRENCY = 64;
const HTML = '<table><tr><td><p>Hello {{name}}, our spring sale is on: up to 40 % off.</p></td></tr></table>'.repeat(40);
const TEXT = 'Hello there, our spring sale is on: up to 40 % off. '.repeat(20);

function ref(i) {
  return { campaign: 'bench', campaignId: 1, recipientId: i, attempt: 1, deliveryRef: `c1_r${i}_a1` };
}

async function pool(n, fn) {
  let next = 0;
  const workers = Array.from({ length: CONCURRENCY }, async () => {
    while (next < n) await fn(next++);
  });
  await Promise.all(workers);
}

async function timed(n, fn) {
  const t = performance.now();
  await pool(n, fn);
  return n / ((performance.now() - t) / 1000);
}

export default async function outboxBench() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-bench-outbox-'));
  try {
    const ctx = { workspace: dir, env: {}, now: () => new Date() };
    const make = (channel) =>
      createProvider({ name: `o-${channel}`, type: 'outbox', channel, senders: [{ id: 'Acme <news@acme.example>', weight: 1 }], settings: { dir: `out-${channel}`, latency_ms: 0, reject_recipients: [] }, source: 'bench' }, ctx);

    const email = await make('email');
    const emailRate = await timed(EMAILS, (i) =>
      email.send({ channel: 'email', to: `c${i}@example.com`, subject: `Spring sale ${i}`, html: HTML, text: TEXT, headers: [{ name: 'List-Unsubscribe', value: `<https://u.example/${i}>` }], ref: ref(i) }, 'Acme <news@acme.example>'),
    );
    await email.close();
    const rawDir = path.join(dir, 'raw-email');
    await mkdir(rawDir);
    const bytes = Buffer.from(`Subject: x\r\n\r\n${TEXT}\r\n${HTML}`);
    const emailBase = await timed(EMAILS, (i) => writeFile(path.join(rawDir, `c1_r${i}_a1.eml`), bytes));

    const sms = await make('sms');
    const smsRate = await timed(SMS, (i) => sms.send({ channel: 'sms', to: `+4479111${String(i).padStart(5, '0')}`, body: 'Acme: 25% off this week. Reply STOP to opt out.', ref: ref(i) }, '+14155550100'));
    await sms.close();
    const stream = createWriteStream(path.join(dir, 'raw.jsonl'), { flags: 'a' });
    const smsBase = await timed(SMS, (i) => new Promise((resolve, reject) => stream.write(JSON.stringify({ i, to: '+447911100000', body: 'Acme: 25% off this week.' }) + '\n', (e) => (e ? reject(e) : resolve()))));
    await new Promise((r) => stream.end(r));

    const detail = {
      emailPerSecond: Math.round(emailRate),
      emailBaselinePerSecond: Math.round(emailBase),
      emailRatio: +(emailRate / emailBase).toFixed(2),
      smsPerSecond: Math.round(smsRate),
      smsBaselinePerSecond: Math.round(smsBase),
      smsRatio: +(smsRate / smsBase).toFixed(2),
    };
    const fig = (name, value, baseline, baselineValue, ratio) => ({ name, value, unit: 'msgs/s', baseline, baselineValue, ratio });
    return {
      description: `Messages/s through the outbox provider at concurrency ${CONCURRENCY} vs writing the same bytes with plain fs calls (the file-system floor); one run.`,
      figures: [
        fig(`outbox email (.eml per message), ${EMAILS} messages`, detail.emailPerSecond, 'fs.writeFile of the same bytes', detail.emailBaselinePerSecond, detail.emailRatio),
        fig(`outbox SMS (JSON Lines), ${SMS} messages`, detail.smsPerSecond, 'append stream of the same lines', detail.smsBaselinePerSecond, detail.smsRatio),
      ],
      detail,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
