/**
 * examples/github-actions/scheduled-send.yml: its shape (schedule, concurrency group, Node 20,
 * npm ci, the send command) and its send step's shell script, run locally as the runner would
 * (bash -eo pipefail) against a temp workspace with the built CLI installed as `npx mkt`:
 * exit 0 and 75 pass the job, 69 fails it.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startFakeTwilio, type FakeTwilio } from '../fakes/twilio.js';
import { BIN, cliEnv, ROOT } from '../support/cli.js';
import { smsWorkspace, TWILIO_TOKEN, type SmsWorkspace } from '../support/campaign-workspace.js';

interface Step {
  id?: string;
  name?: string;
  run?: string;
  uses?: string;
  with?: Record<string, unknown>;
}
const workflow = parse(readFileSync(path.join(ROOT, 'examples/github-actions/scheduled-send.yml'), 'utf8'));
const job = workflow.jobs.send as { env: Record<string, string>; steps: Step[] };
const sendStep = job.steps.find((s) => s.id === 'send')!;

let ws: SmsWorkspace | undefined;
let fake: FakeTwilio | undefined;
afterEach(async () => {
  ws?.cleanup();
  await fake?.close();
  ws = fake = undefined;
});

/** A workspace where `npx --no-install mkt` is the built CLI, with one campaign due. */
function dueWorkspace(n: number, opts: Parameters<typeof smsWorkspace>[1] & { provider?: string } = {}): SmsWorkspace {
  ws = smsWorkspace(n, opts);
  writeFileSync(path.join(ws.dir, 'package.json'), '{ "name": "marketing", "private": true }\n');
  mkdirSync(path.join(ws.dir, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(BIN, path.join(ws.dir, 'node_modules', '.bin', 'mkt'));
  const create = ws.cli(['campaign', 'create', '--name', 'weekly', '--channel', 'sms', '--segment', 'all-sms', '--provider', opts.provider ?? 'outbox-sms', '--template', 'hello', '--schedule', '2020-01-01T00:00:00Z']);
  expect(create.code, create.stderr).toBe(0);
  return ws;
}

/** Runs the send step's script as GitHub's `shell: bash` does; returns the step's exit code. (Async: a fake server may run in this process.) */
function runSendStep(w: SmsWorkspace): Promise<{ code: number; stdout: string; stderr: string }> {
  const script = path.join(w.dir, 'send-step.sh');
  writeFileSync(script, sendStep.run!);
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], {
      cwd: w.dir,
      env: cliEnv({ ...w.env, MKT_DB: w.db, npm_config_offline: 'true', npm_config_update_notifier: 'false' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('examples/github-actions/scheduled-send.yml', { timeout: 120_000 }, () => {
  it('is scheduled, serialised, on Node 20, installs with npm ci and runs send --due --yes --json', () => {
    expect(workflow.on.schedule[0].cron).toMatch(/^\S+ \S+ \S+ \S+ \S+$/);
    expect(workflow.on).toHaveProperty('workflow_dispatch');
    expect(workflow.concurrency).toMatchObject({ group: expect.any(String), 'cancel-in-progress': false });
    expect(job.steps.find((s) => s.uses?.startsWith('actions/setup-node'))?.with?.['node-version']).toBe(20);
    expect(job.steps.some((s) => s.run?.trim() === 'npm ci')).toBe(true);
    expect(sendStep.run).toContain('mkt campaign send --due --yes --json');
    expect(job.env.MKT_DB).toMatch(/^\/srv\//); // the ledger lives on the persistent volume
    // the step that refuses to run without a ledger comes before the send
    expect(job.steps.findIndex((s) => s.id === 'ledger')).toBeLessThan(job.steps.indexOf(sendStep));
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
});
