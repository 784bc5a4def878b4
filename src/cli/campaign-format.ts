/** Human text for campaign results (the --json shapes are the core's values, unchanged). */
import { stateColour, type Colour } from '../output/colour.js';
import { renderFields } from '../output/table.js';
import type { Plan } from '../campaigns/prepare.js';
import type { CampaignStatus } from '../campaigns/status.js';
import type { CampaignView } from '../campaigns/view.js';
import { percent, RESULT_LABELS } from '../campaigns/results.js';

type Field = [string, unknown];

const planFields = (p: Plan, prefix = ''): Field[] => [
  [`${prefix}matched`, p.matched],
  ...Object.entries(p.excluded).map(([k, v]): Field => [`${prefix}excluded ${k}`, v]),
  [`${prefix}recipients`, p.recipients],
  [`${prefix}added`, p.added],
  [`${prefix}senders`, Object.entries(p.senders).map(([s, n]) => `${s}: ${n}`).join('; ')],
  [`${prefix}messages`, p.estimate.messages],
  ...(p.estimate.sms_segments !== undefined ? [[`${prefix}sms segments`, p.estimate.sms_segments] as Field] : []),
  [`${prefix}estimated duration`, `${p.estimate.duration_s}s${p.estimate.rate_per_s ? ` at ${p.estimate.rate_per_s}/s` : ''}`],
  [`${prefix}plan hash`, p.plan_hash],
  ...(p.render_failures ? [[`${prefix}render failures`, `${p.render_failures.total} (send refuses them without --allow-render-failures)`] as Field] : []),
];

export const planText = (p: Plan) => renderFields([['campaign', p.campaign], ...planFields(p)]);

/** `campaign show`: the settings, the timeline and the last plan, one readable field a line. */
export function showText(v: CampaignView, colour: Colour): string {
  const paint = stateColour(colour);
  const plan = v.plan as Plan | null;
  const fields: Field[] = [
    ['campaign', v.name],
    ['state', paint(v.state) + (v.pause_reason ? ` (${v.pause_reason})` : '')],
    ['channel', v.channel],
    ['segment', v.segment],
    ['provider', v.provider],
    ['template', v.template],
    ['schedule', v.schedule ?? 'none (send it by name)'],
    ['throttle', v.throttle ?? "the provider's rate"],
    ['distribution', v.distribution],
    ...(v.send_at_local ? [['send at local', `${v.send_at_local} on each recipient's clock`] as Field] : []),
    ...(v.recurring ? [['recurring', `every ${v.recurring.every}`] as Field] : []),
    ...Object.entries(v.variants ?? {}).map(([k, x]): Field => [`variant ${k}`, [x.subject && `subject "${x.subject}"`, x.template && `template ${x.template}`, x.weight && `weight ${x.weight}`].filter(Boolean).join(', ')]),
    ...(v.test ? [['a/b test', `${v.test.fraction} first, metric ${v.test.metric}, winner after ${v.test.wait}`] as Field] : []),
    ['created', v.created_at],
    ['prepared', v.prepared_at ?? 'not yet'],
    ...(v.started_at ? [['started', v.started_at] as Field] : []),
    ...(v.completed_at ? [['completed', v.completed_at] as Field] : []),
    ...(plan ? planFields(plan, 'plan: ') : [['plan', `none yet (run \`mkt campaign prepare ${v.name}\`)`] as Field]),
  ];
  return renderFields(fields);
}

/** The non-zero ledger counts of a part of a campaign: `sent 3, failed 1`. */
const countsText = (counts: Record<string, number>) =>
  Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ') || 'none';

/** `campaign status`: state, ledger counts (coloured by state), senders, delivery, errors, timings. */
export function statusText(x: CampaignStatus, colour: Colour): string {
  const paint = stateColour(colour);
  return renderFields([
    ['campaign', x.campaign],
    ['state', paint(x.state) + (x.pause_reason ? ` (${x.pause_reason})` : '')],
    ['recipients', x.recipients],
    ...Object.entries(x.counts).map(([k, v]): Field => [k, paint(k, String(v), v > 0)]),
    ['by sender', Object.entries(x.by_sender).map(([k, v]) => `${k}: ${v}`).join('; ')],
    ['rate', x.rate_per_s === null ? '' : `${x.rate_per_s}/s`],
    ...Object.entries(x.delivery).map(([k, v]): Field => [`delivery ${k}`, paint(k, String(v))]),
    ...(Object.keys(x.delivery).length ? [['delivery rates', Object.entries(x.delivery_rates).map(([k, v]) => `${k} ${(v * 100).toFixed(2)}%`).join(', ')] as Field] : []),
    ...resultFields(x),
    ...x.errors.map((e): Field => [`error ${e.code}`, `${e.count} ${paint(e.state)} — ${e.sample}`]),
    ['workers', x.workers.length === 0 ? 'none' : String(x.workers.length)],
    ...x.workers.map((w): Field => [`worker ${w.host}:${w.pid ?? '?'}`, w.heartbeat_at ? `since ${w.started_at}, last heartbeat ${w.heartbeat_at}` : 'holds the send lease']),
    ...(x.variants ?? []).map((v): Field => [`variant ${v.variant}`, `${v.recipients} recipient(s): ${countsText(v.counts)}`]),
    ...(x.runs ?? []).map((r): Field => [`run ${r.run}`, `${r.recipients} recipient(s): ${countsText(r.counts)}${r.first_sent_at ? `, first sent ${r.first_sent_at}` : ''}`]),
    ...Object.entries(x.timings).map(([k, v]): Field => [k, v]),
  ]);
}

/** The results block: each figure as `count (rate)`, then click-through and click-to-open. */
function resultFields(x: CampaignStatus): Field[] {
  const r = x.results;
  return [
    ...RESULT_LABELS.map(([k, label]): Field => [label, `${r[k].count} (${percent(r[k].rate)})`]),
    ['click-through', percent(r.click_through)],
    ['click-to-open', percent(r.click_to_open)],
  ];
}

/** One line of `status --watch` without a terminal (CI logs): the numbers that move. */
export function statusLine(x: CampaignStatus, at: Date): string {
  const c = x.counts;
  return `${at.toISOString()} ${x.campaign} ${x.state} sent ${c.sent}/${x.recipients} failed ${c.failed} unknown ${c.unknown} pending ${c.pending} rate ${x.rate_per_s ?? 0}/s\n`;
}
