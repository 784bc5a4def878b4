import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { complianceWorkspace, UNSUBSCRIBE_YAML, type ComplianceWorkspace } from '../support/compliance-workspace.js';

let ws: ComplianceWorkspace | undefined;
afterEach(() => {
  ws?.cleanup();
  ws = undefined;
});

const mode = (p: string) => statSync(p).mode & 0o777;

describe('private files stay private', { timeout: 120_000 }, () => {
  it('outbox messages are 0600 in 0700 folders; a report --out onto an existing 0644 file becomes 0600; a loose .mkt/ is tightened with a warning', () => {
    ws = complianceWorkspace({ customers: 'external_id,email,email_opt_in,first_name\na,ana@example.org,yes,Ana\nb,ben@example.org,yes,Ben\n', mktYaml: UNSUBSCRIBE_YAML });
    const mkt = path.join(ws.dir, '.mkt');
    chmodSync(mkt, 0o755);
    expect(ws.cli(['campaign', 'create', '--name', 'news', '--channel', 'email', '--segment', 'all-email', '--provider', 'outbox', '--template', 'news']).code).toBe(0);
    expect(mode(mkt)).toBe(0o700);
    const prep = ws.cli(['campaign', 'prepare', 'news']);
    expect(prep.code, prep.stderr).toBe(0);
    const sent = ws.cli(['campaign', 'send', 'news', '--yes']);
    expect(sent.code, sent.stderr).toBe(0);
    const box = path.join(mkt, 'outbox', 'news');
    expect(mode(path.join(mkt, 'outbox'))).toBe(0o700);
    expect(mode(box)).toBe(0o700);
    const emls = readdirSync(box).filter((f) => f.endsWith('.eml'));
    expect(emls).toHaveLength(2);
    for (const f of emls) expect(mode(path.join(box, f)), f).toBe(0o600);

    const out = path.join(ws.dir, 'report.csv');
    writeFileSync(out, 'old\n');
    chmodSync(out, 0o644);
    const report = ws.cli(['campaign', 'report', 'news', '--out', 'report.csv']);
    expect(report.code, report.stderr).toBe(0);
    expect(mode(out)).toBe(0o600);

    chmodSync(mkt, 0o750);
    const status = ws.cli(['campaign', 'status', 'news']);
    expect(status.code).toBe(0);
    expect(status.stderr).toMatch(/\.mkt was open to other users \(mode 0750\); tightened it to 0700/);
    expect(mode(mkt)).toBe(0o700);
  });

  it('a rejects file onto an existing 0644 file becomes 0600', () => {
    ws = complianceWorkspace({ customers: 'external_id,email,email_opt_in\na,ana@example.org,yes\n' });
    ws.write('bad.csv', 'external_id,email,email_opt_in\n,,yes\n');
    const rejects = path.join(ws.dir, 'rejects.csv');
    writeFileSync(rejects, 'old\n');
    chmodSync(rejects, 0o644);
    const r = ws.cli(['customers', 'import', 'bad.csv', '--rejects', 'rejects.csv']);
    expect(r.code, r.stderr).toBe(0);
    expect(mode(rejects)).toBe(0o600);
  });

  it('a report that fails leaves an existing --out file as it was (was: emptied, then exit 65), and leaves no temporary file', () => {
    ws = complianceWorkspace({ customers: 'external_id,email,email_opt_in\na,ana@example.org,yes\n' });
    const keep = ws.write('keep.csv', 'precious\n');
    for (const format of ['csv', 'json']) {
      const r = ws.cli(['campaign', 'report', 'nosuch', '--out', 'keep.csv', '--format', format]);
      expect(r.code, r.stderr).toBe(65);
      expect(r.stderr).toContain('no campaign named "nosuch"');
      expect(readFileSync(keep, 'utf8')).toBe('precious\n');
    }
    expect(readdirSync(ws.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
