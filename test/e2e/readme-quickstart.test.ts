/**
 * README's quick start copies and pastes: its "From there" block, run line by line as written in
 * a copy of the sample workspace with `mkt` on PATH (the documented install step), succeeds, and
 * its send is small enough for the outbox's rate to finish in seconds (it was 27,134 recipients
 * at 50/s: about 9 minutes).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { tryParseRate } from '../../src/util/rate.js';
import { ROOT, runCli, runShell, tempWorkspace } from '../support/cli.js';

const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
/** The first fenced block after `marker`. */
const blockAfter = (marker: string) => /```\n([^]*?)```/.exec(README.slice(README.indexOf(marker)))![1]!;

let ws: ReturnType<typeof tempWorkspace> | undefined;
afterEach(() => ws?.cleanup());

describe('README quick start', { timeout: 180_000 }, () => {
  it('the "From there" block runs as written and its send takes seconds', () => {
    const block = blockAfter('From there');
    expect(block).not.toMatch(/\bnpx\b/); // npx returns 130/143 on signals: README runs the installed binary
    ws = tempWorkspace(true);
    // the render's /tmp/ file goes into the temp workspace instead
    const script = block.replaceAll('/tmp/', `${ws.dir}/`);
    const r = runShell(script, { cwd: ws.dir, env: { MKT_UNSUBSCRIBE_SECRET: undefined } });
    expect(r.code, r.stderr).toBe(0);
    const status = JSON.parse(runCli(['campaign', 'status', 'spring', '--json'], { cwd: ws.dir }).stdout);
    expect(status).toMatchObject({ state: 'completed' });
    expect(status.counts.sent).toBe(status.recipients);
    // the send's duration at the rate it runs: the outbox provider's rate, or a lower --throttle
    const outbox = parse(readFileSync(path.join(ROOT, 'providers.yaml'), 'utf8')).providers.find((p: { name: string }) => p.name === 'outbox');
    const rates = [outbox.rate, ...[...block.matchAll(/--throttle (\S+)/g)].map((m) => m[1])].map((t) => tryParseRate(t)!.perSecond);
    expect(status.recipients / Math.min(...rates)).toBeLessThanOrEqual(5);
  });
});
