/**
 * One campaign's definition changed from the command line: `campaign edit --set`, `schedule`,
 * `unschedule`, `clone`, `delete`, `archive`. Each change goes through the same plan rule as
 * `campaign apply` (definition.ts), so a sending campaign refuses the same keys either way.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { InputError, UsageError } from '../errors.js';
import { CAMPAIGNS_DIR } from './apply.js';
import { getCampaign } from './create.js';
import { definitionOf, newCampaignOf, planChange, refusedError, specOf, type PlanLine } from './definition.js';
import type { CampaignDeps } from './deps.js';
import { checkReferences } from './references.js';
import { checkField, fieldFromText, SPEC_KEYS, validateSpec, type SpecKey } from './spec.js';
import { view, type CampaignView } from './view.js';

/** The campaign file that is the source of truth for `name`, when there is one. */
export function campaignFileOf(workspace: string, name: string): string | undefined {
  return ['yaml', 'yml'].map((ext) => path.join(workspace, CAMPAIGNS_DIR, `${name}.${ext}`)).find((f) => existsSync(f));
}

/** `--set key=value` pairs → spec keys and values (an empty value unsets the key). Bad ones are usage errors. */
export function parseSets(sets: readonly string[]): Partial<Record<SpecKey, unknown>> {
  const out: Partial<Record<SpecKey, unknown>> = {};
  for (const set of sets) {
    const eq = set.indexOf('=');
    const key = (eq < 0 ? set : set.slice(0, eq)) as SpecKey;
    if (eq < 0) throw new UsageError(`--set "${set}" must be key=value`);
    if (key === 'name' || !SPEC_KEYS.includes(key)) throw new UsageError(`--set: unknown key "${key}" (known: ${SPEC_KEYS.filter((k) => k !== 'name').join(', ')}; rename with \`campaign clone\`)`);
    const value = fieldFromText(key, set.slice(eq + 1));
    const problem = checkField(key, value);
    if (problem) throw new UsageError(`--set: ${problem}`);
    out[key] = value;
  }
  return out;
}

export interface ChangeOptions {
  /** Check and return the plan line, change nothing. */
  dryRun?: boolean;
  /** `--now`: a schedule in the past is accepted. */
  allowPast?: boolean;
}

/**
 * Applies `changes` to the campaign's definition when its state allows, after checking the
 * references still resolve. Refused when campaigns/<name>.yaml exists: the file would undo it.
 */
export async function changeCampaign(deps: CampaignDeps, name: string, changes: Partial<Record<SpecKey, unknown>>, o: ChangeOptions = {}): Promise<{ line: PlanLine; campaign: CampaignView }> {
  const row = await getCampaign(deps, name);
  const file = campaignFileOf(deps.workspace, name);
  if (file) throw new InputError('campaign_has_file', `${file} is the source of truth for "${name}"`, { hint: `change the file, then run \`mkt campaign apply ${path.relative(deps.workspace, file)}\`` });
  const next = validateSpec({ ...specOf(row), ...changes });
  const line = planChange(row, next, { now: deps.now(), allowPast: o.allowPast });
  const refused = refusedError([line]);
  if (refused) throw refused;
  if (line.action === 'update') await checkReferences(deps.workspace, next);
  if (line.action === 'update' && !o.dryRun) await deps.repos.campaigns.redefine(row.id, definitionOf(next, row.settings), deps.now());
  return { line, campaign: view(await getCampaign(deps, name)) };
}

/** A new draft with SRC's definition under NEW; the schedule is not copied (a clone is a new send). */
export async function cloneCampaign(deps: CampaignDeps, source: string, name: string): Promise<CampaignView> {
  const row = await getCampaign(deps, source);
  const { schedule: _schedule, ...spec } = specOf(row);
  const next = validateSpec({ ...spec, name });
  if (await deps.repos.campaigns.get(name)) throw new InputError('campaign_exists', `a campaign named "${name}" already exists`);
  await checkReferences(deps.workspace, next);
  return view(await deps.repos.campaigns.create(newCampaignOf(next), deps.now()));
}

/** Deletes a draft (nothing was ever frozen or sent). Anything else keeps its ledger: archive it. */
export async function deleteCampaign(deps: CampaignDeps, name: string): Promise<{ name: string; deleted: true }> {
  const row = await getCampaign(deps, name);
  const refuse = () =>
    new InputError('campaign_not_draft', `campaign "${name}" is ${row.state}; only a draft can be deleted (its send list and ledger are kept)`, {
      hint: row.state === 'completed' || row.state === 'cancelled' ? `hide it with \`mkt campaign archive ${name}\`` : `cancel it (\`mkt campaign cancel ${name}\`), then archive it`,
    });
  if (row.state !== 'draft' || !(await deps.repos.campaigns.deleteDraft(row.id))) throw refuse();
  return { name, deleted: true };
}

/** Hides a finished campaign from `campaign list` (unless --all); its ledger and reports stay. */
export async function archiveCampaign(deps: CampaignDeps, name: string): Promise<CampaignView> {
  const row = await getCampaign(deps, name);
  if (row.state !== 'completed' && row.state !== 'cancelled') {
    throw new InputError('campaign_unfinished', `campaign "${name}" is ${row.state}; only a completed or cancelled campaign can be archived`, {
      hint: row.state === 'draft' ? `a draft can be deleted: \`mkt campaign delete ${name}\`` : `cancel it first: \`mkt campaign cancel ${name}\``,
    });
  }
  if (row.archivedAt === null) await deps.repos.campaigns.update(row.id, { archivedAt: deps.now() }, deps.now());
  return view(await getCampaign(deps, name));
}
