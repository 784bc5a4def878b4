/**
 * The PostgreSQL workflow examples, read and run as a runner would (test/support/workflow.ts):
 * - examples/github-actions/postgres-scheduled-send.yml (GitHub-hosted): its shape (schedule,
 *   concurrency group, no volume, MKT_DB from a secret, cached npm ci), its secrets, and its
 *   store check, apply and send steps run against a real PostgreSQL database: exit 0 passes,
 *   69 fails, and two runs at once (an overlap the concurrency group should have prevented)
 *   send nobody twice;
 * - examples/github-actions/postgres-workers.yml (self-hosted): a prepare job, then a matrix of
 *   workers each running `campaign send NAME --yes`; the prepare step once and every worker's
 *   step at the same time, against one database: each recipient gets exactly one message.
 * The workspace is an SQLite one moved up with `mkt db copy`, as README says to; the provider is
 * the fake Twilio on 127.0.0.1, whose receipts say who got what.
 */
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startFakeTwilio, type FakeTwilio } from '../fakes/twilio.js';
import { smsWorkspace, TWILIO_TOKEN, type SmsWorkspace } from '../support/campaign-workspace.js';
import { runCliAsync } from '../support/cli.js';
import { pgTestDatabase, type PgTestDatabase } from '../support/pg.js';
import { envRefs, exportedSecrets, installMkt, jsonOf, readWorkflow, runStep, type Step } from '../support/workflow.js';

const hosted = readWorkflow('postgres-scheduled-send.yml');
const hostedJob = hosted.jobs.send as { 'runs-on': unknown; env: Record<string, string>; steps: Step[] };
const step = (steps: Step[], id: string) => steps.find((s) => s.id === id)!;
const workers = readWorkflow('postgres-workers.yml');
const prepareJob = workers.jobs.prepare as { 'runs-on': unknown; steps: Step[] };
const sendJob = workers.jobs.send as { 'runs-on': unknown; needs: string; strategy: { 'fail-fast': boolean; matrix: { worker: number[] } }; steps: Step[] };

const dbs: PgTestDatabase[] = [];
let ws: SmsWorkspace | undefined;
let fake: FakeTwilio | undefined;
afterEach(async () => {
  ws?.cleanup();
  await fake?.close();
  ws = fake = undefined;
});
afterAll(async () => {
  for (const db of dbs) await db.drop();
});

const sampleSecrets = () => new Set([...envRefs('providers.yaml'), ...envRefs('mkt.yaml')]);

/**
 * An SMS workspace of `n` customers moved up into a new PostgreSQL database with `db copy`,
 * ./node_modules/.bin/mkt installed, the fake Twilio (each call waits `latencyMs`) as `tw`, and
 * campaign `weekly` created on PostgreSQL, due since 2020. Undefined without a server.
 */
async function pgWorkspace(n: number, latencyMs: number, create: string[] = ['--schedule', '2020-01-01T00:00:00Z', '--now'], senders?: string) {
  const db = await pgTestDatabase('ci_workflow');
  if (!db) return undefined;
  dbs.push(db);
  fake = await startFakeTwilio({ authToken: TWILIO_TOKEN });
  if (latencyMs) fake.inject({ type: 'latency', ms: latencyMs });
  ws = smsWorkspace(n, { twilioUrl: fake.url, concurrency: 4, ...(senders ? { senders } : {}) });
  installMkt(ws.dir);
  const copied = await runCliAsync(['db', 'copy', ws.db, db.url], { cwd: ws.dir, env: ws.env });
  expect(copied.code, copied.stderr).toBe(0);
  const env = { ...ws.env, MKT_DB: db.url };
  const made = await runCliAsync(['campaign', 'create', '--name', 'weekly', '--channel', 'sms', '--segment', 'all-sms', '--provider', 'tw', '--template', 'hello', ...create], { cwd: ws.dir, env });
  expect(made.code, made.stderr).toBe(0);
  return { w: ws, fake, env, url: db.url };
}

/** The campaign's ledger by state, as `campaign status --json` reads it on PostgreSQL. */
async function ledgerCounts(s: { w: SmsWorkspace; env: NodeJS.ProcessEnv }): Promise<Record<string, number>> {
  const r = await runCliAsync(['campaign', 'status', 'weekly', '--json'], { cwd: s.w.dir, env: s.env });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).counts;
}

/** How many messages each phone got at the fake. */
function perPhone(f: FakeTwilio): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of f.receipts) m.set(r.to, (m.get(r.to) ?? 0) + 1);
  return m;
}

describe('examples/github-actions/postgres-scheduled-send.yml', { timeout: 180_000 }, () => {
  const send = step(hostedJob.steps, 'send');
  const apply = step(hostedJob.steps, 'apply');
  const store = step(hostedJob.steps, 'store');

  it('runs on GitHub-hosted runners every 15 minutes, never overlapping, with no volume, MKT_DB from a secret, npm cached', () => {
    expect(hosted.on.schedule[0].cron).toBe('*/15 * * * *');
    expect(hosted.on).toHaveProperty('workflow_dispatch');
    expect(hosted.concurrency).toMatchObject({ group: expect.any(String), 'cancel-in-progress': false });
    expect(hostedJob['runs-on']).toBe('ubuntu-latest');
    // no volume, no container, no service: nothing the runner keeps
    expect(hostedJob).not.toHaveProperty('container');
    expect(hostedJob).not.toHaveProperty('services');
    expect(JSON.stringify(hosted)).not.toMatch(/\/srv\/|volume|mkt db backup/);
    expect(hostedJob.env.MKT_DB).toBe('${{ secrets.MKT_DB }}');
    const setup = hostedJob.steps.find((s) => s.uses?.startsWith('actions/setup-node'))!;
    expect(setup.with).toMatchObject({ 'node-version': 20, cache: 'npm' });
    const cache = hostedJob.steps.find((s) => s.uses?.startsWith('actions/cache'))!;
    expect(cache.with).toMatchObject({ path: 'node_modules', key: expect.stringContaining("hashFiles('package-lock.json')") });
    expect(hostedJob.steps.find((s) => s.run?.trim() === 'npm ci')!.if).toBe(`steps.${cache.id}.outputs.cache-hit != 'true'`);
    // the store check, then apply --now, then send --due, with the installed binary
    const order = [store, apply, send].map((s) => hostedJob.steps.indexOf(s));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(apply.run).toContain('./node_modules/.bin/mkt campaign apply --now');
    expect(send.run).toContain('./node_modules/.bin/mkt campaign send --due --yes --json');
    expect(hostedJob.steps.map((s) => s.run ?? '').join('\n')).not.toMatch(/\bnpx\b/);
  });

  it('exports MKT_DB and exactly the secrets the sample providers.yaml and mkt.yaml read', () => {
    expect(new Set(exportedSecrets(hostedJob.env))).toEqual(new Set(['MKT_DB', ...sampleSecrets()]));
  });

  it('refuses to send when MKT_DB is not a postgres:// URL (an empty secret would mean a fresh ledger on the runner)', async () => {
    const dir = path.join((ws = smsWorkspace(0)).dir);
    for (const value of [undefined, '', '.mkt/mkt.db']) {
      const r = await runStep(store, dir, value === undefined ? {} : { MKT_DB: value });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('::error::MKT_DB is not a postgres:// URL');
    }
    expect((await runStep(store, dir, { MKT_DB: 'postgres://mkt@db.internal:5432/mkt?sslmode=verify-full' })).code).toBe(0);
  });

  it('applies campaigns/ and sends what is due on PostgreSQL; the next run finds nothing due', async () => {
    const s = await pgWorkspace(6, 0);
    if (!s) return;
    mkdirSync(path.join(s.w.dir, 'campaigns'));
    writeFileSync(path.join(s.w.dir, 'campaigns', 'flash.yaml'), 'channel: sms\nsegment: all-sms\nprovider: tw\ntemplate: hello\nschedule: 2020-06-01T09:00:00Z\n');
    const applied = await runStep(apply, s.w.dir, s.env);
    expect([applied.code, applied.stdout], applied.stderr).toEqual([0, 'flash: create\n']);
    const r = await runStep(send, s.w.dir, s.env);
    expect(r.code, r.stderr).toBe(0);
    expect(jsonOf(r.stdout)).toMatchObject({ due: ['weekly', 'flash'], campaigns: [{ summary: { state: 'completed', sent: 6 } }, { summary: { state: 'completed', sent: 6 } }] });
    expect(s.fake.receipts).toHaveLength(12);
    const again = await runStep(send, s.w.dir, s.env);
    expect(again.code, again.stderr).toBe(0);
    expect(s.fake.receipts).toHaveLength(12);
    // unchanged files change nothing; a finished campaign refuses a change, and the job fails at apply
    expect((await runStep(apply, s.w.dir, s.env)).stdout).toBe('flash: no change\n');
    writeFileSync(path.join(s.w.dir, 'campaigns', 'flash.yaml'), 'channel: sms\nsegment: all-sms\nprovider: tw\ntemplate: hello\nschedule: 2020-06-01T09:00:00Z\nthrottle: 1/s\n');
    const refused = await runStep(apply, s.w.dir, s.env);
    expect([refused.code, refused.stdout]).toEqual([65, 'flash: refused: flash is completed; nothing may change\n']);
    // the password never reaches the job's log
    const password = decodeURIComponent(new URL(s.url).password);
    for (const x of [applied, r, again, refused]) expect(x.stdout + x.stderr).not.toContain(password);
  });

  it('two runs at once (the overlap concurrency: prevents) both pass and send nobody twice', async () => {
    const s = await pgWorkspace(40, 40);
    if (!s) return;
    // each run has a checkout of its own on GitHub (the step writes send-result.json into it)
    const other = `${s.w.dir}-b`;
    cpSync(s.w.dir, other, { recursive: true });
    const [a, b] = await Promise.all([runStep(send, s.w.dir, s.env, 'run-a.sh'), runStep(send, other, s.env, 'run-b.sh')]).finally(() => rmSync(other, { recursive: true, force: true }));
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const got = perPhone(s.fake);
    expect(got.size).toBe(40);
    expect(Math.max(...got.values())).toBe(1);
    // both took part, and the ledger agrees with the fake
    for (const x of [a, b]) expect((jsonOf(x.stdout) as { due: string[] }).due).toEqual(['weekly']);
    expect(await ledgerCounts(s)).toMatchObject({ sent: 40, pending: 0, sending: 0, unknown: 0 });
  });

  it('exit 75 (a daily cap) passes the job, and the next day\'s run resumes the paused campaign where the ledger says', async () => {
    const s = await pgWorkspace(5, 0, undefined, '[ { number: "+15550000001", daily_cap: 2 } ]');
    if (!s) return;
    const day = (d: string) => ({ ...s.env, MKT_NOW: `2026-03-0${d}T10:00:00Z` });
    const first = await runStep(send, s.w.dir, day('2'));
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('exit 75');
    expect(s.fake.receipts).toHaveLength(2);
    // the same day: still capped, still resumable; the campaign is no draft now, and --due must still see it
    const same = await runStep(send, s.w.dir, day('2'));
    expect(same.code, same.stderr).toBe(0);
    expect(s.fake.receipts).toHaveLength(2);
    for (const d of ['3', '4']) expect((await runStep(send, s.w.dir, day(d))).code).toBe(0);
    const got = perPhone(s.fake);
    expect([got.size, Math.max(...got.values())]).toEqual([5, 1]);
  });

  it('exit 69 (the provider refused fatally) fails the job with that code', async () => {
    const s = await pgWorkspace(3, 0);
    if (!s) return;
    s.fake.inject({ type: 'auth' });
    const r = await runStep(send, s.w.dir, s.env);
    expect(r.code, r.stdout + r.stderr).toBe(69);
    expect(r.stdout).toContain('::error::mkt campaign send exited 69');
    expect(s.fake.receipts).toHaveLength(0);
  });
});

describe('examples/github-actions/postgres-workers.yml', { timeout: 180_000 }, () => {
  const prepare = step(prepareJob.steps, 'prepare');
  const send = step(sendJob.steps, 'send');

  it('prepares once, then runs a matrix of self-hosted workers, each campaign send NAME --yes on the same MKT_DB', () => {
    expect(workers.on.workflow_dispatch.inputs.campaign).toMatchObject({ type: 'string', required: true });
    expect(workers.concurrency).toMatchObject({ group: expect.stringContaining('inputs.campaign'), 'cancel-in-progress': false });
    expect(workers.env).toMatchObject({ MKT_DB: '${{ secrets.MKT_DB }}', CAMPAIGN: '${{ inputs.campaign }}' });
    expect(new Set(exportedSecrets(workers.env))).toEqual(new Set(['MKT_DB', ...sampleSecrets()]));
    for (const job of [prepareJob, sendJob]) expect(job['runs-on']).toEqual(expect.arrayContaining(['self-hosted']));
    expect(sendJob.needs).toBe('prepare');
    expect(sendJob.strategy['fail-fast']).toBe(false);
    expect(sendJob.strategy.matrix.worker.length).toBeGreaterThanOrEqual(2);
    expect(send.run).toContain('./node_modules/.bin/mkt campaign send "$CAMPAIGN" --yes');
    expect(send.run).not.toContain('--due');
    expect(prepare.run).toContain('./node_modules/.bin/mkt campaign prepare "$CAMPAIGN"');
    expect([...prepareJob.steps, ...sendJob.steps].map((s) => s.run ?? '').join('\n')).not.toMatch(/\bnpx\b/);
  });

  it('the workers drain one campaign together: every recipient exactly once, every worker passes; a second dispatch keeps the list and sends nothing more', async () => {
    const s = await pgWorkspace(60, 30, []);
    if (!s) return;
    const env = { ...s.env, CAMPAIGN: 'weekly' };
    const prepared = await runStep(prepare, s.w.dir, env);
    expect(prepared.code, prepared.stderr).toBe(0);
    expect(prepared.stdout).toMatch(/^recipients\s+60$/m);
    const runs = await Promise.all(sendJob.strategy.matrix.worker.map((n) => runStep(send, s.w.dir, env, `worker-${n}.sh`)));
    for (const r of runs) expect(r.code, r.stdout + r.stderr).toBe(0);
    const got = perPhone(s.fake);
    expect(got.size).toBe(60);
    expect(Math.max(...got.values())).toBe(1);
    expect(await ledgerCounts(s)).toMatchObject({ sent: 60, pending: 0, sending: 0, unknown: 0 });
    // more than one worker sent (the fake slows each call, so none drains it alone)
    const own = runs.map((r) => Number(/^sent\s+(\d+)$/m.exec(r.stdout)?.[1]));
    expect(own.filter((n) => n > 0).length).toBeGreaterThan(1);

    // dispatched again: the campaign is no draft, so its list stays; the workers find nothing left
    const again = await runStep(prepare, s.w.dir, env);
    expect(again.stdout).toContain('mkt: weekly is completed; its send list stays as it is');
    const more = await Promise.all(sendJob.strategy.matrix.worker.map((n) => runStep(send, s.w.dir, env, `worker-${n}.sh`)));
    for (const r of more) expect([0, 75]).toContain(r.code);
    expect(s.fake.receipts).toHaveLength(60);
  });
});
