/**
 * examples/github-actions/scheduled-send.yml: its shape (schedule, concurrency group, Node 20,
 * cached npm ci, the send command), its secrets (exactly the ${NAME}s the sample providers.yaml
 * and mkt.yaml read), and its ledger and send steps' shell scripts, run locally as the runner
 * would (bash -eo pipefail) against a temp workspace with the built CLI installed as
 * ./node_modules/.bin/mkt: exit 0 and 75 pass the job, 69 fails it.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeTwilio, type FakeTwilio } from '../fakes/twilio.js';
import { tempWorkspace } from '../support/cli.js';
import { smsWorkspace, TWILIO_TOKEN, type SmsWorkspace } from '../support/campaign-workspace.js';
import { envRefs, installMkt, readWorkflow, runStep, type Step } from '../support/workflow.js';

const workflow = readWorkflow('scheduled-send.yml');
const job = workflow.jobs.send as { env: Record<string, string>; steps: Step[] };
const sendStep = job.steps.find((s) => s.id === 'send')!;
const applyStep = job.steps.find((s) => s.id === 'apply')!;
const backupStep = job.steps.find((s) => s.name === 'Back up the ledger')!;

let ws: SmsWorkspace | undefined;
let fake: FakeTwilio | undefined;
afterEach(async () => {
  ws?.cleanup();
  await fake?.close();
  ws = fake = undefined;
});

/** A workspace where ./node_modules/.bin/mkt is the built CLI, with one campaign due. */
function dueWorkspace(n: number, opts: Parameters<typeof smsWorkspace>[1] & { provider?: string } = {}): SmsWorkspace {
  ws = smsWorkspace(n, opts);
  installMkt(ws.dir);
  const create = ws.cli(['campaign', 'create', '--name', 'weekly', '--channel', 'sms', '--segment', 'all-sms', '--provider', opts.provider ?? 'outbox-sms', '--template', 'hello', '--schedule', '2020-01-01T00:00:00Z', '--now']);
  expect(create.code, create.stderr).toBe(0);
  return ws;
}

const runSendStep = (w: SmsWorkspace) => runStep(sendStep, w.dir, { ...w.env, MKT_DB: w.db });

describe('examples/github-actions/scheduled-send.yml', { timeout: 120_000 }, () => {
  it('is scheduled, serialised, on Node 20, installs with npm ci and runs send --due --yes --json', () => {
    expect(workflow.on.schedule[0].cron).toMatch(/^\S+ \S+ \S+ \S+ \S+$/);
    expect(workflow.on).toHaveProperty('workflow_dispatch');
    expect(workflow.concurrency).toMatchObject({ group: expect.any(String), 'cancel-in-progress': false });
    expect(job.steps.find((s) => s.uses?.startsWith('actions/setup-node'))?.with?.['node-version']).toBe(20);
    // npm ci is cached: node_modules keyed on the lockfile, npm ci only on a miss
    const cache = job.steps.find((s) => s.uses?.startsWith('actions/cache'))!;
    expect(cache.with).toMatchObject({ path: 'node_modules', key: expect.stringContaining("hashFiles('package-lock.json')") });
    const install = job.steps.find((s) => s.run?.trim() === 'npm ci')!;
    expect(install.if).toBe(`steps.${cache.id}.outputs.cache-hit != 'true'`);
    expect(job.steps.indexOf(cache)).toBeLessThan(job.steps.indexOf(install));
    // the installed binary, never npx (npx exits 130/143 on a signal instead of mkt's 75)
    expect(sendStep.run).toContain('./node_modules/.bin/mkt campaign send --due --yes --json');
    expect(job.steps.map((s) => s.run ?? '').join('\n')).not.toMatch(/\bnpx\b/);
    expect(job.env.MKT_DB).toMatch(/^\/srv\//); // the ledger lives on the persistent volume
    // the step that refuses to run without a ledger comes before the send, and so do the campaign files
    expect(job.steps.findIndex((s) => s.id === 'ledger')).toBeLessThan(job.steps.indexOf(applyStep));
    expect(applyStep.run).toContain('./node_modules/.bin/mkt campaign apply --now');
    expect(job.steps.indexOf(applyStep)).toBeLessThan(job.steps.indexOf(sendStep));
  });

  it('exports exactly the secrets the sample providers.yaml and mkt.yaml read, each under its own name', () => {
    const secrets = Object.entries(job.env).filter(([, v]) => v.includes('secrets.'));
    for (const [name, value] of secrets) expect(value).toBe(`\${{ secrets.${name} }}`);
    const wanted = new Set([...envRefs('providers.yaml'), ...envRefs('mkt.yaml')]);
    expect(wanted.size).toBeGreaterThan(3);
    expect(new Set(secrets.map(([name]) => name))).toEqual(wanted);
  });

  it('refuses to send without a ledger unless a manual run ticks init_ledger', async () => {
    const input = workflow.on.workflow_dispatch.inputs.init_ledger;
    expect(input).toMatchObject({ type: 'boolean', default: false });
    const ledger = job.steps.find((s) => s.id === 'ledger')!;
    expect(ledger.env?.MKT_INIT_LEDGER).toBe('${{ inputs.init_ledger }}');
    const tmp = tempWorkspace();
    try {
      const db = path.join(tmp.dir, 'ledger', 'mkt.db');
      // a scheduled run: the input is empty; a manual run without the box: "false"
      for (const init of [undefined, '', 'false']) {
        const r = await runStep(ledger, tmp.dir, { MKT_DB: db, ...(init === undefined ? {} : { MKT_INIT_LEDGER: init }) });
        expect(r.code).toBe(1);
        expect(r.stdout).toContain('::error::no ledger at');
      }
      const r = await runStep(ledger, tmp.dir, { MKT_DB: db, MKT_INIT_LEDGER: 'true' });
      expect(r.code, r.stderr).toBe(0);
      expect(existsSync(path.dirname(db))).toBe(true);
    } finally {
      tmp.cleanup();
    }
  });

  it('exit 0 (everything due was sent) passes the job', async () => {
    const w = dueWorkspace(5);
    const r = await runSendStep(w);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.slice(0, r.stdout.lastIndexOf('}') + 1));
    expect(out).toMatchObject({ due: ['weekly'], campaigns: [{ campaign: 'weekly', summary: { state: 'completed', sent: 5 } }] });
    expect(w.states('weekly')).toEqual({ sent: 5 });
    // the next scheduled run finds nothing due and passes too
    expect((await runSendStep(w)).code).toBe(0);
  });

  it('campaign apply runs before send --due: a file in campaigns/ is created and sent in the same run; a refused plan fails the job first', async () => {
    const w = dueWorkspace(4);
    mkdirSync(path.join(w.dir, 'campaigns'));
    const file = (extra: string) => writeFileSync(path.join(w.dir, 'campaigns', 'flash.yaml'), `channel: sms\nsegment: all-sms\nprovider: outbox-sms\ntemplate: hello\n${extra}`);
    file('schedule: 2020-06-01T09:00:00Z\n');
    const env = { ...w.env, MKT_DB: w.db };
    const applied = await runStep(applyStep, w.dir, env);
    expect([applied.code, applied.stdout], applied.stderr).toEqual([0, 'flash: create\n']);
    const r = await runSendStep(w);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.slice(0, r.stdout.lastIndexOf('}') + 1)).due).toEqual(['weekly', 'flash']);
    expect(w.states('flash')).toEqual({ sent: 4 });
    // the next run: the file is unchanged; a finished campaign refuses a change, and the job fails at apply
    expect((await runStep(applyStep, w.dir, env)).stdout).toBe('flash: no change\n');
    file('schedule: 2020-06-01T09:00:00Z\nthrottle: 1/s\n');
    const refused = await runStep(applyStep, w.dir, env);
    expect(refused.code).toBe(65);
    expect(refused.stdout).toBe('flash: refused: flash is completed; nothing may change\n');
  });

  it('exit 75 (a daily cap: resumable) passes the job and leaves the rest pending', async () => {
    const w = dueWorkspace(6, { senders: '[ { number: "+15550000001", daily_cap: 2 } ]' });
    const r = await runSendStep(w);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('exit 75');
    expect(w.states('weekly')).toEqual({ sent: 2, pending: 4 });
  });

  it('exit 69 (the provider refused fatally) fails the job with that code', async () => {
    fake = await startFakeTwilio({ authToken: TWILIO_TOKEN });
    fake.inject({ type: 'auth' });
    const w = dueWorkspace(4, { twilioUrl: fake.url, provider: 'tw' });
    const r = await runSendStep(w);
    expect(r.code, r.stdout + r.stderr).toBe(69);
    expect(r.stdout).toContain('::error::mkt campaign send exited 69');
    expect(fake.receipts).toHaveLength(0);
  });

  it('the backup step writes an integrity-checked 0600 copy with mkt db backup and keeps the newest 48', async () => {
    const w = dueWorkspace(3);
    expect((await runSendStep(w)).code).toBe(0);
    const dir = path.join(w.dir, 'backups');
    mkdirSync(dir, { mode: 0o700 });
    for (let i = 0; i < 50; i++) writeFileSync(path.join(dir, `mkt-2020${String(i).padStart(4, '0')}.db`), '');
    const r = await runStep(backupStep, w.dir, { ...w.env, MKT_DB: w.db, MKT_BACKUP_DIR: dir });
    expect(r.code, r.stderr).toBe(0);
    const kept = readdirSync(dir).filter((f) => f.startsWith('mkt-')).sort();
    expect(kept).toHaveLength(48);
    const fresh = kept.find((f) => !f.startsWith('mkt-2020'))!;
    expect(statSync(path.join(dir, fresh)).mode & 0o777).toBe(0o600);
    const copy = new Database(path.join(dir, fresh), { readonly: true });
    try {
      expect(copy.prepare('PRAGMA integrity_check').pluck().get()).toBe('ok');
      expect(copy.prepare("SELECT count(*) FROM campaign_recipients WHERE state = 'sent'").pluck().get()).toBe(3);
    } finally {
      copy.close();
    }
  });
});
