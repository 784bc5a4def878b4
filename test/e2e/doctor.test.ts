/**
 * `mkt doctor`: one report, exit 0 when all is well and 78 otherwise, every failure with its
 * fix; environment variables by name only (a canary secret never appears); database integrity
 * and permissions; each provider's live check, here against a fake Twilio on 127.0.0.1.
 */
import { chmodSync, closeSync, existsSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeTwilio, type FakeTwilio } from '../fakes/twilio.js';
import { smsWorkspace, TWILIO_TOKEN, type SmsWorkspace } from '../support/campaign-workspace.js';
import { runCli, runCliAsync, tempWorkspace } from '../support/cli.js';

interface Check {
  id: string;
  status: 'ok' | 'fail' | 'skip';
  detail: string;
  fix?: string;
}
interface Report {
  ok: boolean;
  checks: Check[];
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const UNSUB_CANARY = 'unsub-canary-4f1e9a7b2c3d8e6f';

function initialised(): { dir: string; db: string } {
  const ws = tempWorkspace();
  cleanups.push(ws.cleanup);
  expect(runCli(['init'], { cwd: ws.dir }).code).toBe(0);
  return ws;
}

const byId = (r: Report) => Object.fromEntries(r.checks.map((c) => [c.id, c]));

describe('mkt doctor', { timeout: 120_000 }, () => {
  it('passes on a fresh init and creates no database', () => {
    const ws = initialised();
    const r = runCli(['doctor', '--json'], { cwd: ws.dir, env: { MKT_UNSUBSCRIBE_SECRET: UNSUB_CANARY } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.ok).toBe(true);
    const checks = byId(report);
    for (const id of ['files.providers', 'files.settings', 'files.segments', 'files.templates', 'env', 'provider.outbox', 'provider.outbox-sms', 'provider.outbox-whatsapp']) expect(checks[id]?.status, id).toBe('ok');
    expect(checks['db.integrity']?.status).toBe('skip');
    expect(existsSync(ws.db)).toBe(false);
    // the outbox checks make their folder: private, as the database's folder must be
    expect(statSync(path.dirname(ws.db)).mode & 0o777).toBe(0o700);
    expect(r.stdout + r.stderr).not.toContain(UNSUB_CANARY);
  });

  it('names an unset variable with the fix, exit 78, never printing a value', () => {
    const ws = initialised();
    for (const json of [true, false]) {
      const r = runCli(['doctor', ...(json ? ['--json'] : [])], { cwd: ws.dir, env: { MKT_UNSUBSCRIBE_SECRET: '' } });
      expect(r.code).toBe(78);
      if (json) {
        const env = byId(JSON.parse(r.stdout) as Report).env!;
        expect(env.status).toBe('fail');
        expect(env.detail).toContain('MKT_UNSUBSCRIBE_SECRET (mkt.yaml)');
        expect(env.fix).toContain('export MKT_UNSUBSCRIBE_SECRET=');
        // the file itself is fine: only the variable is missing
        expect(byId(JSON.parse(r.stdout) as Report)['files.settings']!.status).toBe('ok');
      } else {
        expect(r.stdout).toMatch(/FAIL environment .*MKT_UNSUBSCRIBE_SECRET/);
        expect(r.stdout).toMatch(/fix: export MKT_UNSUBSCRIBE_SECRET=/);
      }
    }
  });

  it('reports broken files, a damaged database and loose permissions, each with a fix', () => {
    const ws = initialised();
    const env = { MKT_UNSUBSCRIBE_SECRET: UNSUB_CANARY };
    expect(runCli(['customers', 'seed', '--count', '50'], { cwd: ws.dir, env }).code).toBe(0);
    writeFileSync(path.join(ws.dir, 'segments', 'broken.yaml'), 'where:\n  no_such_field: 1\n');
    writeFileSync(path.join(ws.dir, 'templates', 'sms', 'bad.txt'), 'Hi {{ first_name \n');
    chmodSync(ws.db, 0o644);
    chmodSync(path.dirname(ws.db), 0o755);
    const r = runCli(['doctor', '--json'], { cwd: ws.dir, env });
    expect(r.code).toBe(78);
    const checks = byId(JSON.parse(r.stdout) as Report);
    expect(checks['files.segments']).toMatchObject({ status: 'fail' });
    expect(checks['files.segments']!.detail).toContain('segments/broken.yaml');
    expect(checks['files.templates']).toMatchObject({ status: 'fail' });
    expect(checks['files.templates']!.detail).toContain('templates/sms/bad.txt');
    expect(checks['db.integrity']).toMatchObject({ status: 'ok' });
    expect(checks['db.permissions']).toMatchObject({ status: 'fail' });
    expect(checks['db.permissions']!.fix).toBe(`chmod 600 ${ws.db} && chmod 700 ${path.dirname(ws.db)}`);
    // doctor only reads: the modes are as it found them
    expect(statSync(ws.db).mode & 0o777).toBe(0o644);

    // damage the pages after the header: quick_check must notice
    const fd = openSync(ws.db, 'r+');
    const size = statSync(ws.db).size;
    for (let at = 4096 * 2; at < size; at += 4096) writeSync(fd, Buffer.alloc(64, 0xa5), 0, 64, at + 8);
    closeSync(fd);
    const damaged = runCli(['doctor', '--json'], { cwd: ws.dir, env });
    expect(damaged.code).toBe(78);
    const integrity = byId(JSON.parse(damaged.stdout) as Report)['db.integrity']!;
    expect(integrity.status).toBe('fail');
    expect(integrity.fix).toMatch(/backup/);
  });

  describe('with a Twilio provider', () => {
    let ws: SmsWorkspace | undefined;
    let fake: FakeTwilio | undefined;
    afterEach(async () => {
      ws?.cleanup();
      await fake?.close();
    });

    it('runs the live check; the secret (a canary) never appears; a missing token fails that provider', async () => {
      fake = await startFakeTwilio({ seed: 1, authToken: TWILIO_TOKEN });
      ws = smsWorkspace(3, { twilioUrl: fake.url });
      for (const json of [true, false]) {
        const r = await runCliAsync(['doctor', ...(json ? ['--json'] : [])], { cwd: ws.dir, env: ws.env });
        expect(r.code, r.stdout + r.stderr).toBe(0);
        expect(r.stdout + r.stderr).not.toContain(TWILIO_TOKEN);
        if (json) expect(byId(JSON.parse(r.stdout) as Report)['provider.tw']).toMatchObject({ status: 'ok', detail: 'twilio, sms: live check ok' });
      }
      const missing = await runCliAsync(['doctor', '--json'], { cwd: ws.dir, env: { TW_TOKEN: '' } });
      expect(missing.code).toBe(78);
      const checks = byId(JSON.parse(missing.stdout) as Report);
      expect(checks.env).toMatchObject({ status: 'fail' });
      expect(checks.env!.detail).toContain('TW_TOKEN (providers.yaml: tw)');
      expect(checks['provider.tw']).toMatchObject({ status: 'fail' });
      expect(checks['provider.tw']!.detail).toContain('TW_TOKEN');
      expect(checks['provider.outbox-sms']).toMatchObject({ status: 'ok' });
    });
  });
});
