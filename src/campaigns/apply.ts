/**
 * Campaigns as code: `campaign apply` turns campaign files into a plan (one line per campaign,
 * decided by definition.ts's one rule) and applies it in one transaction, or nothing when a
 * line is refused. `campaign validate` checks the files without the database.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { findCampaign, inCampaignTransaction, insertCampaign, redefineCampaign, type Campaign } from '../db/campaigns.js';
import type { Store } from '../db/open.js';
import type { CampaignStore } from '../db/repositories.js';
import { InputError, UsageError } from '../errors.js';
import { formatIssue } from '../workspace/issue.js';
import { sqliteStore, type CampaignDeps } from './deps.js';
import { definitionOf, newCampaignOf, planChange, refusedError, type PlanLine } from './definition.js';
import { referenceProblems } from './references.js';
import { readSpecSource, type SpecSource } from './spec.js';

export const CAMPAIGNS_DIR = 'campaigns';

/** The campaign files named, or every `*.yaml` / `*.yml` in the workspace's campaigns/ (sorted). */
export async function campaignFiles(workspace: string, files: readonly string[]): Promise<string[]> {
  if (files.length) return [...files];
  const dir = path.join(workspace, CAMPAIGNS_DIR);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`there is no ${CAMPAIGNS_DIR}/ folder in ${workspace}`, { code: 'no_campaign_files', hint: 'write campaigns/<name>.yaml (see README "Campaigns as code"), or name the files' });
    throw e;
  }
  const yaml = names.filter((n) => /\.ya?ml$/.test(n)).sort();
  if (!yaml.length) throw new UsageError(`${dir} holds no campaign files (*.yaml)`, { code: 'no_campaign_files' });
  return yaml.map((n) => path.join(dir, n));
}

export interface ValidatedFiles {
  files: Array<{ file: string; name: string }>;
}

/**
 * Reads every file and checks its references (segment, provider, template) against the
 * workspace; two files naming one campaign are a problem too. Every problem is reported at
 * once, each at `file:line:col`. No database is opened.
 */
export async function validateCampaignFiles(workspace: string, files: readonly string[]): Promise<{ sources: SpecSource[]; result: ValidatedFiles }> {
  const problems: string[] = [];
  const sources: SpecSource[] = [];
  const seen = new Map<string, string>();
  for (const file of await campaignFiles(workspace, files)) {
    let source: SpecSource;
    try {
      source = await readSpecSource(file);
    } catch (e) {
      if (e instanceof InputError) {
        problems.push(e.message);
        continue;
      }
      throw e;
    }
    const { spec } = source;
    const earlier = seen.get(spec.name);
    if (earlier) problems.push(formatIssue({ ...source.at('name'), message: `campaign "${spec.name}" is also defined in ${earlier}` }));
    seen.set(spec.name, file);
    for (const p of (await referenceProblems(workspace, spec)).problems) problems.push(formatIssue({ ...source.at(p.field), path: p.field, message: p.message }));
    sources.push(source);
  }
  if (problems.length) throw new InputError('bad_campaign', problems.join('\n'), { details: { problems } });
  return { sources, result: { files: sources.map((s) => ({ file: s.file, name: s.spec.name })) } };
}

export interface ApplyOptions {
  dryRun?: boolean;
  /** `--now`: a schedule in the past is accepted. */
  allowPast?: boolean;
}

export interface ApplyResult {
  dry_run: boolean;
  applied: boolean;
  plan: Array<PlanLine & { file: string }>;
}

/**
 * The plan for the files, then (unless a dry run) every create and update in one transaction.
 * A refused line refuses the whole plan: a half-applied set of files is a state nobody wrote
 * down. The result is returned with the error so the plan is printed either way.
 */
export async function applyCampaignFiles(deps: CampaignDeps, files: readonly string[], o: ApplyOptions = {}): Promise<{ result: ApplyResult; error?: Error }> {
  const { sources } = await validateCampaignFiles(deps.workspace, files);
  const now = deps.now();
  const lineOf = (s: SpecSource, row: Campaign | undefined) => ({ ...planChange(row, s.spec, { now, allowPast: o.allowPast }), file: s.file });
  const planWith = async (campaigns: CampaignStore) => {
    const lines: Array<PlanLine & { file: string }> = [];
    for (const s of sources) lines.push(lineOf(s, await campaigns.get(s.spec.name)));
    return lines;
  };
  const first = await planWith(deps.repos.campaigns);
  const error = refusedError(first);
  if (error || o.dryRun) return { result: { dry_run: Boolean(o.dryRun), applied: false, plan: first }, error };
  // planned again inside the write lock, so a send that started meanwhile is seen
  const applied = deps.store ? applyOnSqlite(deps.store, sources, lineOf, now) : await applyOnPg(deps, planWith, sources, now);
  return { result: { dry_run: false, applied: applied.ok, plan: applied.lines }, error: refusedError(applied.lines) };
}

type LineOf = (s: SpecSource, row: Campaign | undefined) => PlanLine & { file: string };

/** Every create and update in one IMMEDIATE transaction (SQLite's statements are synchronous). */
function applyOnSqlite(store: Store, sources: SpecSource[], lineOf: LineOf, now: number): { lines: Array<PlanLine & { file: string }>; ok: boolean } {
  return inCampaignTransaction(store, () => {
    const lines = sources.map((s) => lineOf(s, findCampaign(store, s.spec.name)));
    if (refusedError(lines)) return { lines, ok: false };
    for (const [i, line] of lines.entries()) {
      const spec = sources[i]!.spec;
      if (line.action === 'create') insertCampaign(store, newCampaignOf(spec), now);
      else if (line.action === 'update') {
        const row = findCampaign(store, spec.name)!;
        redefineCampaign(store, row.id, definitionOf(spec, row.settings), now);
      }
    }
    return { lines, ok: true };
  });
}

/** The same on PostgreSQL: one transaction with campaign rows locked against other writers. */
async function applyOnPg(
  deps: CampaignDeps,
  planWith: (campaigns: CampaignStore) => Promise<Array<PlanLine & { file: string }>>,
  sources: SpecSource[],
  now: number,
): Promise<{ lines: Array<PlanLine & { file: string }>; ok: boolean }> {
  if (!deps.pg) sqliteStore(deps, 'campaign apply');
  const { inPgCampaignTransaction } = await import('../db/pg/campaigns.js');
  return inPgCampaignTransaction(deps.pg!.pool, async (campaigns) => {
    const lines = await planWith(campaigns);
    if (refusedError(lines)) return { lines, ok: false };
    for (const [i, line] of lines.entries()) {
      const spec = sources[i]!.spec;
      if (line.action === 'create') await campaigns.create(newCampaignOf(spec), now);
      else if (line.action === 'update') {
        const row = (await campaigns.get(spec.name))!;
        await campaigns.redefine(row.id, definitionOf(spec, row.settings), now);
      }
    }
    return { lines, ok: true };
  });
}
