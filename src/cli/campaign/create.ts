import type { Command } from 'commander';
import { CHANNELS } from '../../channels.js';
import { checkField } from '../../campaigns/spec.js';
import { InputError, UsageError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { checkedFlag, choiceFlag, rateFlag } from '../options.js';
import type { ActionFactory } from '../run.js';
import { core } from './core.js';

/** `campaign create` flags as commander parsed them (each value checked by the campaign file's rules). */
export interface CreateOpts {
  name?: string;
  channel?: string;
  segment?: string;
  provider?: string;
  template?: string;
  schedule?: string;
  throttle?: string;
  distribution?: string;
  sendAtLocal?: string;
  file?: string;
}

/** A campaign-create flag checked by the campaign file's own rule (src/campaigns/spec.ts). */
function specFlag(key: 'name' | 'schedule' | 'send_at_local'): (value: string) => string {
  return checkedFlag((v) => checkField(key, v));
}

/** Asks for whatever flags are missing, offering only choices that agree with the channel. */
async function askMissing(ctx: CliContext, o: CreateOpts): Promise<CreateOpts> {
  const out = { ...o };
  const p = ctx.prompter;
  const [{ listSegments }, { listProviders }, { listTemplates }] = await Promise.all([
    import('../../segments/index.js'),
    import('../../providers/load.js'),
    import('../../templates/index.js'),
  ]);
  out.name ??= await p.input('Campaign name (a slug, e.g. spring-sale)', { validate: (v) => /^[a-z0-9][a-z0-9_-]{0,63}$/.test(v) || 'lower-case letters, digits, - and _' });
  out.channel ??= await p.select(
    'Channel',
    CHANNELS.map((c) => ({ name: c, value: c })),
  );
  const providers = (await listProviders(ctx.workspace)).filter((x) => x.channel === out.channel);
  if (!out.provider) {
    if (!providers.length) throw new InputError('no_provider', `providers.yaml has no ${out.channel} provider`);
    out.provider = await p.select('Provider', providers.map((x) => ({ name: `${x.name} (${x.type}, ${x.senders.length} sender(s))`, value: x.name })));
  }
  const templates = (await listTemplates(ctx.workspace)).filter((t) => t.channel === out.channel);
  if (!out.template) {
    if (!templates.length) throw new InputError('no_template', `there is no ${out.channel} template in templates/${out.channel}/`, { hint: `create one with \`mkt template new ${out.channel} <name>\`` });
    out.template = await p.select('Template', templates.map((t) => ({ name: `${t.name} — ${t.summary}`, value: t.name })));
  }
  if (!out.segment) {
    const segments = await listSegments(ctx.workspace);
    if (!segments.length) throw new InputError('no_segment', 'there are no segments in segments/', { hint: 'create one with `mkt segment create`' });
    out.segment = await p.select('Segment', segments.map((s) => ({ name: s.description ? `${s.name} — ${s.description}` : s.name, value: s.name })));
  }
  return out;
}

/** What `campaign create` was asked to do: read a campaign file, or build the campaign from flags (and questions). */
export type CreateCommandOptions = { file: string } | { given: Omit<CreateOpts, 'file' | 'sendAtLocal'> & { send_at_local?: string } };

/** Flags → options, without running anything (test/unit/cli/command-options.test.ts). A file wins over flags. */
export function parseCreateOptions(flags: CreateOpts): CreateCommandOptions {
  const { file, sendAtLocal, ...rest } = flags;
  // the spec's own key, so the file's rules check it and createCampaign stores it
  const given = sendAtLocal !== undefined ? { ...rest, send_at_local: sendAtLocal } : rest;
  return file ? { file } : { given };
}

export function registerCreate(group: Command, action: ActionFactory): void {
  group
    .command('create')
    .description('create a draft campaign (missing flags are asked on a terminal)')
    // flags are checked by the same rules as a campaign file, but a bad flag is a usage error (64)
    .option('--name <slug>', 'campaign name', specFlag('name'))
    .option('--channel <channel>', 'email, sms or whatsapp', choiceFlag(CHANNELS))
    .option('--segment <name>', 'segment to send to')
    .option('--provider <name>', 'provider from providers.yaml')
    .option('--template <name>', 'template name (or channel/name)')
    .option('--schedule <iso>', 'when `send --due` may send it (ISO 8601 with zone)', specFlag('schedule'))
    .option('--throttle <rate>', 'overall rate, e.g. 50/s (default and ceiling: the provider\'s rate)', rateFlag)
    .option('--distribution <mode>', 'round-robin (default) or sticky sender choice', choiceFlag(['round-robin', 'sticky'] as const))
    .option('--send-at-local <HH:MM>', 'each recipient becomes due at this time on their own clock, e.g. 09:00', specFlag('send_at_local'))
    .option('--file <path>', 'read the campaign from a YAML file (campaigns/<name>.yaml)')
    .action(
      action<CreateOpts>(async (ctx, _args, flags) => {
        const o = parseCreateOptions(flags);
        const c = await core(ctx);
        let spec;
        if ('file' in o) spec = await c.spec.readSpecFile(o.file);
        else {
          const g = o.given;
          const complete = g.name && g.channel && g.segment && g.provider && g.template;
          const filled = complete || !ctx.interactive ? g : await askMissing(ctx, g);
          const missing = (['name', 'channel', 'segment', 'provider', 'template'] as const).filter((k) => !filled[k]);
          if (missing.length) throw new UsageError(`missing ${missing.map((m) => `--${m}`).join(', ')} (no terminal to ask)`, { code: 'missing_flags' });
          spec = c.spec.validateSpec(filled);
        }
        const created = await c.create.createCampaign(c.deps, spec);
        ctx.result(created, (v) => `created campaign ${v.name} (${v.channel}, segment ${v.segment}, provider ${v.provider}, template ${v.template}); next: mkt campaign prepare ${v.name}\n`);
      }),
    );
}
