/**
 * Campaigns as code: `campaign apply` turns campaign files into a plan (one line per campaign,
 * decided by definition.ts's one rule) and applies it in one transaction, or nothing when a
 * line is refused. `campaign validate` checks the files without the database.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { findCampaign, inCampaignTransaction, insertCampaign, redefineCampaign } from '../db/campaigns.js';
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
  // one transaction over every line: the SQLite store's (its PostgreSQL twin is not written yet)
  const store = sqliteStore(deps, 'campaign apply');
  const now = deps.now();
  const plan = () => sources.map((s) => ({ ...planChange(findCampaign(store, s.spec.name), s.spec, { now, allowPast: o.allowPast }), file: s.file }));
  const first = plan();
  const error = refusedError(first);
  if (error || o.dryRun) return { result: { dry_run: Boolean(o.dryRun), applied: false, plan: first }, error };
  // planned again inside the write lock, so a send that started meanwhile is seen
  const applied = inCampaignTransaction(store, () => {
    const lines = plan();
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
  return { result: { dry_run: false, applied: applied.ok, plan: applied.lines }, error: refusedError(applied.lines) };
}
