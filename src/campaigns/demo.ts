/**
 * `mkt demo`: the whole lifecycle on the embedded default, in a fresh demo workspace that
 * never touches the user's data — seed, count a segment, create, prepare, send through the
 * outbox with a visible throttle, and show the final status.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { recheckStoredAddresses } from '../customers/recheck.js';
import { seedCustomers } from '../customers/seed.js';
import { openStore } from '../db/open.js';
import { sqliteRepositories } from '../db/sqlite-repositories.js';
import { UsageError } from '../errors.js';
import { countSegment } from '../segments/index.js';
import { createCampaign } from './create.js';
import { prepareCampaign, type Plan } from './prepare.js';
import { sendCampaign, type SendOptions, type SendSummary } from './send.js';
import { campaignStatus, type CampaignStatus } from './status.js';

// dist/campaigns/demo.js and src/campaigns/demo.ts both sit two levels below the package root,
// which is itself a working sample workspace.
const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SAMPLE = ['providers.yaml', 'mkt.yaml', 'segments', 'templates'];
const MARKER = '.mkt-demo';

export interface DemoOptions {
  dir: string;
  customers: number;
  seed: number;
  throttle: string;
  now: () => number;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  onStep?: (message: string) => void;
  onProgress?: SendOptions['onProgress'];
  hooks: (workspace: string, env: NodeJS.ProcessEnv) => Promise<Pick<SendOptions, 'unsubscribe' | 'claimCheck' | 'exclusions' | 'policy'>>;
}

export interface DemoResult {
  workspace: string;
  customers: number;
  segment: { name: string; count: number };
  plan: Plan;
  send: SendSummary;
  status: CampaignStatus;
  outbox: string;
}

/** Creates (or re-creates) the demo workspace; refuses to wipe a folder it did not create. */
function freshWorkspace(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    if (!existsSync(path.join(dir, MARKER))) {
      throw new UsageError(`${dir} exists and is not an mkt demo workspace; not touching it`, { code: 'demo_dir_in_use', hint: 'pass --dir with a new or empty folder' });
    }
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(path.join(dir, MARKER), 'created by `mkt demo`; safe to delete\n');
  for (const entry of SAMPLE) {
    const from = path.join(PACKAGE_ROOT, entry);
    if (existsSync(from)) cpSync(from, path.join(dir, entry), { recursive: true });
  }
}

export async function runDemo(opts: DemoOptions): Promise<{ result: DemoResult; error?: import('../errors.js').MktError }> {
  const step = opts.onStep ?? (() => {});
  const dir = path.resolve(opts.dir);
  freshWorkspace(dir);
  // The demo's unsubscribe links need a signing key; a throwaway one is fine for the outbox.
  const env = { ...opts.env, MKT_UNSUBSCRIBE_SECRET: opts.env.MKT_UNSUBSCRIBE_SECRET ?? randomBytes(32).toString('hex') };
  const store = openStore(path.join(dir, '.mkt', 'mkt.db'), 'write', { recheck: recheckStoredAddresses });
  try {
    step(`demo workspace: ${dir}`);
    const seeded = seedCustomers(store, { count: opts.customers, seed: opts.seed, now: new Date(opts.now()) });
    step(`seeded ${seeded.inserted} demo customers (seed ${opts.seed})`);
    const segmentName = 'everyone-email';
    const repos = sqliteRepositories(store);
    const count = await countSegment(repos.segments, dir, segmentName, new Date(opts.now()));
    step(`segment ${segmentName}: ${count.count} customers (counted in ${count.ms} ms)`);
    const deps = { repos, store, workspace: dir, env, now: opts.now };
    const name = 'demo-spring-sale';
    await createCampaign(deps, { name, channel: 'email', segment: segmentName, provider: 'outbox', template: 'spring-sale', throttle: opts.throttle });
    const hooks = await opts.hooks(dir, env);
    const plan = await prepareCampaign(deps, name, { exclusions: hooks.exclusions });
    step(
      `prepared ${name}: ${plan.recipients} recipients (excluded: ${Object.entries(plan.excluded)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}); about ${plan.estimate.duration_s}s at ${opts.throttle}`,
    );
    step(`sending through the outbox provider over ${Object.keys(plan.senders).length} senders at ${opts.throttle} …`);
    const sent = await sendCampaign(deps, name, { ...hooks, signal: opts.signal, onProgress: opts.onProgress });
    const status = await campaignStatus(deps, name);
    return {
      result: { workspace: dir, customers: seeded.count, segment: { name: segmentName, count: count.count }, plan, send: sent.summary, status, outbox: path.join(dir, '.mkt', 'outbox', name) },
      error: sent.error,
    };
  } finally {
    store.close();
  }
}
