import type { Command } from 'commander';
import { CHANNELS } from '../../channels.js';
import { checkField } from '../../campaigns/spec.js';
import { InputError, UsageError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { checkedFlag, choiceFlag, concurrency as concurrencyFlag, rateFlag } from '../options.js';
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
  concurrency?: number;
  sendAtLocal?: string;
  file?: string;
  now?: boolean;
}

/** A campaign-create flag checked by the campaign file's own rule (src/campaigns/spec.ts). */
function specFlag(key: 'name' | 'schedule' | 'send_at_local'): (value: string) => string {
  return checkedFlag((v) => checkField(key, v));
}

/**
 * Asks for whatever flags are missing, offering only choices that agree with the channel:
 * providers and templates of that channel, segments whose conditions fit it (with their live
 * sizes), then schedule, throttle and distribution.
 */
async function askMissing(ctx: CliContext, o: CreateOpts): Promise<CreateOpts> {
  const out = { ...o };
  const p = ctx.prompter;
  const [{ channelSegments }, { listProviders }, { listTemplates }, { pastSchedule }] = await Promise.all([
    import('../../segments/channels.js'),
    import('../../providers/load.js'),
    import('../../templates/index.js'),
    import('../../campaigns/definition.js'),
  ]);
  out.name ??= await p.input('Campaign name (a slug, e.g. spring-sale)', { validate: (v) => checkField('name', v) ?? true });
  out.channel ??= await p.select(
    'Channel',
    CHANNELS.map((c) => ({ name: c, value: c })),
  );
  const channel = out.channel as (typeof CHANNELS)[number];
  const providers = (await listProviders(ctx.workspace)).filter((x) => x.channel === channel);
  if (!out.provider) {
    if (!providers.length) throw new InputError('no_provider', `providers.yaml has no ${channel} provider`);
    out.provider = await p.select('Provider', providers.map((x) => ({ name: `${x.name} (${x.type}, ${x.senders.length} sender(s))`, value: x.name })));
  }
  const templates = (await listTemplates(ctx.workspace)).filter((t) => t.channel === channel);
  if (!out.template) {
    if (!templates.length) throw new InputError('no_template', `there is no ${channel} template in templates/${channel}/`, { hint: `create one with \`mkt template new ${channel} <name>\`` });
    out.template = await p.select('Template', templates.map((t) => ({ name: `${t.name} — ${t.summary}`, value: t.name })));
  }
  if (!out.segment) {
    const segments = await channelSegments(ctx.workspace, channel, (await ctx.repositories()).segments, ctx.now());
    if (!segments.length) throw new InputError('no_segment', `no segment in segments/ fits ${channel}`, { hint: 'create one with `mkt segment create`' });
    const size = (n: number | undefined) => (n === undefined ? '' : ` (${n.toLocaleString('en-US')} now)`);
    out.segment = await p.select('Segment', segments.map((s) => ({ name: `${s.name}${size(s.count)}${s.description ? ` — ${s.description}` : ''}`, value: s.name })));
  }
  if (out.schedule === undefined) {
    const at = await p.input('Schedule (ISO 8601 with a zone, e.g. 2026-12-01T09:00:00Z; empty: send by hand)', {
      default: '',
      validate: (v) => v === '' || (checkField('schedule', v) ?? pastSchedule({ schedule: v }, { now: ctx.now().getTime() }) ?? true),
    });
    if (at) out.schedule = at;
  }
  if (out.throttle === undefined) {
    const rate = await p.input("Throttle (e.g. 50/s; empty: the provider's rate)", { default: '', validate: (v) => v === '' || (checkField('throttle', v) ?? true) });
    if (rate) out.throttle = rate;
  }
  out.distribution ??= await p.select('Distribution over the senders', [
    { name: 'round-robin (by weight)', value: 'round-robin' },
    { name: 'sticky (a recipient always gets the same sender)', value: 'sticky' },
  ]);
  return out;
}

/** What `campaign create` was asked to do: read a campaign file, or build the campaign from flags (and questions). */
export type CreateCommandOptions = ({ file: string } | { given: Omit<CreateOpts, 'file' | 'now' | 'sendAtLocal'> & { send_at_local?: string } }) & { allowPast: boolean };

/** Flags → options, without running anything (test/unit/cli/command-options.test.ts). A file wins over flags. */
export function parseCreateOptions(flags: CreateOpts): CreateCommandOptions {
  const { file, now, sendAtLocal, ...rest } = flags;
  // the spec's own key, so the file's rules check it and createCampaign stores it
  const given = sendAtLocal !== undefined ? { ...rest, send_at_local: sendAtLocal } : rest;
  return { ...(file ? { file } : { given }), allowPast: Boolean(now) };
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
    .option('--concurrency <n>', 'messages in flight (default: the provider\'s concurrency)', concurrencyFlag)
    .option('--send-at-local <HH:MM>', 'each recipient becomes due at this time on their own clock, e.g. 09:00', specFlag('send_at_local'))
    .option('--file <path>', 'read the campaign from a YAML file (campaigns/<name>.yaml)')
    .option('--now', 'accept a --schedule that has passed (the campaign is due at once)')
    .action(
      action<CreateOpts>(async (ctx, _args, flags) => {
        const o = parseCreateOptions(flags);
        const [specs, { checkSchedule }] = await Promise.all([import('../../campaigns/spec.js'), import('../../campaigns/definition.js')]);
        let spec;
        let asked = false;
        if ('file' in o) spec = await specs.readSpecFile(o.file);
        else {
          const g = o.given;
          const complete = g.name && g.channel && g.segment && g.provider && g.template;
          asked = !complete && ctx.interactive;
          const filled = asked ? await askMissing(ctx, g) : g;
          const missing = (['name', 'channel', 'segment', 'provider', 'template'] as const).filter((k) => !filled[k]);
          if (missing.length) throw new UsageError(`missing ${missing.map((m) => `--${m}`).join(', ')} (no terminal to ask)`, { code: 'missing_flags' });
          spec = specs.validateSpec(filled);
        }
        // against the clock before the database is opened: a refused create creates nothing
        checkSchedule(spec, { now: ctx.now().getTime(), allowPast: o.allowPast });
        const c = await core(ctx);
        const created = await c.create.createCampaign(c.deps, spec, { allowPast: o.allowPast });
        if (asked) {
          // teach the way to do it again without questions: the command line and the campaign file
          const { specCommandLine, specYaml } = await import('../../campaigns/definition.js');
          ctx.info(`the same without questions:\n  ${specCommandLine(spec)}\nor keep it in git as campaigns/${spec.name}.yaml (then \`mkt campaign apply\`):\n${specYaml(spec).trimEnd().replace(/^/gm, '  ')}`);
        }
        ctx.result(created, (v) => `created campaign ${v.name} (${v.channel}, segment ${v.segment}, provider ${v.provider}, template ${v.template}); next: mkt campaign prepare ${v.name}\n`);
      }),
    );
}
