// Pre-flight renders every recipient (`campaign check`, run by `campaign prepare`): the sample
// newsletter (email/spring-sale: subject + HTML + text, signed unsubscribe link) rendered for a
// 100,000-recipient list out of the store, streamed, with failures folded into causes. The
// baseline is template.render over the same customers held in memory (no store, no grouping,
// no other checks). Peak RSS is sampled during the check: it must stay flat (streaming), not
// grow with the list. MKT_BENCH_SCALE shrinks the list.
import { performance } from 'node:perf_hooks';
import { checkCampaign } from '../dist/campaigns/check.js';
import { loadSendHooks } from '../dist/campaigns/compliance-hooks.js';
import { createCampaign } from '../dist/campaigns/create.js';
import { templateVars } from '../dist/campaigns/message.js';
import { loadCampaignTemplate } from '../dist/campaigns/references.js';
import { audienceSample } from '../dist/db/compliance-sql.js';
import { compileSegment } from '../dist/segments/index.js';
import { benchWorkspace, round, scaled } from './workspace.js';

const RECIPIENTS = scaled(100_000, 100);

const PROVIDERS = `providers:
  - name: outbox
    type: outbox
    channel: email
    senders: [ "Acme News <news@m1.acme.example>" ]
`;

export default async function preflightBench() {
  const ws = benchWorkspace({ providers: PROVIDERS, customers: RECIPIENTS });
  const { store, deps } = ws.open();
  try {
    const campaign = await createCampaign(deps, { name: 'preflight', channel: 'email', segment: 'everyone-email', provider: 'outbox', template: 'spring-sale' });
    const hooks = await loadSendHooks(ws.dir, ws.env);
    globalThis.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    // checkCampaign is synchronous once the template is loaded: sample RSS from its own loop too
    const t = performance.now();
    const report = await checkCampaign(deps, campaign.name, { unsubscribe: hooks.unsubscribe });
    const ms = performance.now() - t;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    if (report.recipients !== RECIPIENTS) throw new Error(`pre-flight saw ${report.recipients} recipients, expected ${RECIPIENTS}`);

    // baseline: render alone, same template and customers, already in memory
    const template = await loadCampaignTemplate(ws.dir, { name: campaign.name, id: 1, channel: 'email', template: campaign.template });
    const msgCtx = { campaign: { name: campaign.name, id: 1, channel: 'email' }, template, unsubscribe: hooks.unsubscribe, now: Date.now };
    const where = await compileSegment(ws.dir, 'everyone-email', new Date());
    const baselineRows = [...audienceSample(store, { campaignId: 1, channel: 'email', prepared: false, where })];
    const b = performance.now();
    for (const r of baselineRows) template.render(templateVars(msgCtx, r).vars);
    const baseMs = performance.now() - b;

    const perSecond = (report.recipients / ms) * 1000;
    const basePerSecond = (baselineRows.length / baseMs) * 1000;
    return {
      description: `\`campaign check\` of a ${RECIPIENTS}-recipient email campaign (the sample newsletter, signed unsubscribe links): every recipient's message rendered, streamed from the store, failures grouped by cause; vs template.render over the same customers already in memory. RSS sampled every 20 ms during the check.`,
      figures: [
        {
          name: `pre-flight render of ${RECIPIENTS} recipients`,
          value: Math.round(perSecond),
          unit: 'recipients/s',
          baseline: 'template.render alone, customers in memory',
          baselineValue: Math.round(basePerSecond),
          ratio: round(perSecond / basePerSecond, 3),
          target: '≥ 5,000 recipients/s',
          pass: perSecond >= 5000,
        },
        {
          name: `pre-flight peak RSS, ${RECIPIENTS} recipients`,
          value: round(peak / 2 ** 20, 1),
          unit: 'MB',
          baseline: 'RSS before the check (store open, workspace loaded)',
          baselineValue: round(rssBefore / 2 ** 20, 1),
          ratio: round(peak / rssBefore, 2),
        },
      ],
      notes: [`${RECIPIENTS} recipients in ${round(ms / 1000, 2)} s; RSS ${round(rssBefore / 2 ** 20, 1)} MB before, ${round(peak / 2 ** 20, 1)} MB at peak; ${report.render_failures.total} render failures.`],
    };
  } finally {
    store.close();
    ws.remove();
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1])) console.log(JSON.stringify(await preflightBench(), null, 2));
