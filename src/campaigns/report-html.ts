/**
 * `campaign report NAME --html FILE`: one self-contained HTML page a person can open, mail or
 * archive. No script, no font, no image, no stylesheet from anywhere: the CSS is inline, the
 * charts are SVG drawn here, and a Content-Security-Policy of `default-src 'none'` makes any
 * request the page might still try fail in the browser. Every number comes from the same
 * objects `campaign status --json` prints (each carries `data-figure="<path>"`, so a test can
 * hold the page to the JSON).
 */
import type { LinkStats, TimelineHour } from '../db/engagement-report.js';
import type { CampaignDeps } from './deps.js';
import { getCampaign } from './create.js';
import { percent, RESULT_LABELS } from './results.js';
import { campaignStatus, type CampaignStatus } from './status.js';

const esc = (v: unknown): string =>
  String(v ?? '').replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

const SERIES = [
  ['sent', 'sent', '#2563eb'],
  ['delivered', 'delivered', '#16a34a'],
  ['opens', 'opens (human)', '#d97706'],
  ['clicks', 'clicks (human)', '#db2777'],
] as const;

const W = 760;
const H = 240;
const PAD = { left: 48, right: 16, top: 16, bottom: 36 };

const hourLabel = (ms: number) => new Date(ms).toISOString().slice(5, 13).replace('T', ' ') + 'h';

/** Up to a week of hours is drawn hour by hour (quiet hours as 0), so a line never bridges a gap. */
const DENSE_HOURS = 168;

function denseHours(hours: TimelineHour[]): TimelineHour[] {
  const first = hours[0]!.hour;
  const count = (hours[hours.length - 1]!.hour - first) / 3_600_000 + 1;
  if (count > DENSE_HOURS) return hours;
  const byHour = new Map(hours.map((h) => [h.hour, h]));
  return Array.from({ length: count }, (_, i) => byHour.get(first + i * 3_600_000) ?? { hour: first + i * 3_600_000, sent: 0, delivered: 0, opens: 0, clicks: 0 });
}

/** Sends, deliveries, opens and clicks per UTC hour, as lines over the campaign's hours. */
function timelineSvg(stored: TimelineHour[]): string {
  if (stored.length === 0) return '<p class="empty">nothing sent yet</p>';
  const hours = denseHours(stored);
  const first = hours[0]!.hour;
  const last = hours[hours.length - 1]!.hour;
  const span = Math.max(last - first, 3_600_000);
  const max = Math.max(1, ...hours.flatMap((h) => SERIES.map(([k]) => h[k])));
  const x = (ms: number) => PAD.left + ((ms - first) / span) * (W - PAD.left - PAD.right);
  const y = (n: number) => H - PAD.bottom - (n / max) * (H - PAD.top - PAD.bottom);
  const lines = SERIES.map(([k, label, colour]) => {
    const points = hours.map((h) => `${x(h.hour).toFixed(1)},${y(h[k]).toFixed(1)}`).join(' ');
    const dots = hours.map((h) => `<circle cx="${x(h.hour).toFixed(1)}" cy="${y(h[k]).toFixed(1)}" r="3" fill="${colour}"><title>${esc(label)} ${hourLabel(h.hour)}: ${h[k]}</title></circle>`).join('');
    return `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${points}"/>${dots}`;
  }).join('');
  const axis = `<line x1="${PAD.left}" y1="${H - PAD.bottom}" x2="${W - PAD.right}" y2="${H - PAD.bottom}" stroke="#999"/>
    <line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${H - PAD.bottom}" stroke="#999"/>
    <text x="${PAD.left - 6}" y="${PAD.top + 4}" text-anchor="end">${max}</text><text x="${PAD.left - 6}" y="${H - PAD.bottom}" text-anchor="end">0</text>
    <text x="${PAD.left}" y="${H - 12}">${hourLabel(first)}</text><text x="${W - PAD.right}" y="${H - 12}" text-anchor="end">${hourLabel(last)}</text>`;
  const legend = SERIES.map(([, label, colour]) => `<span class="key"><i style="background:${colour}"></i>${esc(label)}</span>`).join('');
  return `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="timeline per hour">${axis}${lines}</svg><div class="legend">${legend}</div>
  <details><summary>per hour</summary>${table(['hour (UTC)', ...SERIES.map(([, l]) => l)], stored.map((h) => [hourLabel(h.hour), ...SERIES.map(([k]) => h[k])]))}</details>`;
}

/** recipients → sent → delivered → opened → clicked, as bars scaled to the recipients. */
function funnelSvg(s: CampaignStatus): string {
  const r = s.results;
  const steps: Array<[label: string, n: number, figure: string]> = [
    ['recipients', s.recipients, 'recipients'],
    ['sent', r.sent.count, 'results.sent.count'],
    ['delivered', r.delivered.count, 'results.delivered.count'],
    ['opened (unique, human)', r.unique_opens.count, 'results.unique_opens.count'],
    ['clicked (unique)', r.unique_clicks.count, 'results.unique_clicks.count'],
  ];
  const max = Math.max(1, s.recipients);
  const row = 34;
  const bars = steps
    .map(([label, n, figure], i) => {
      const w = Math.max(2, (n / max) * 460);
      return `<text x="0" y="${i * row + 21}">${esc(label)}</text><rect x="200" y="${i * row + 6}" width="${w.toFixed(1)}" height="22" fill="#2563eb" opacity="${1 - i * 0.15}"/>
      <text x="${(208 + w).toFixed(1)}" y="${i * row + 21}" data-figure="${figure}">${n}</text>`;
    })
    .join('');
  return `<svg viewBox="0 0 ${W} ${steps.length * row + 8}" role="img" aria-label="funnel">${bars}</svg>`;
}

function table(headers: string[], rows: Array<Array<unknown>>, figures?: Array<Array<string | undefined>>): string {
  const head = headers.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = rows
    .map((r, i) => `<tr>${r.map((c, j) => (figures?.[i]?.[j] ? `<td data-figure="${esc(figures[i][j])}">${esc(c)}</td>` : `<td>${esc(c)}</td>`)).join('')}</tr>`)
    .join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body || `<tr><td colspan="${headers.length}" class="empty">none</td></tr>`}</tbody></table>`;
}

function figuresTable(s: CampaignStatus): string {
  const r = s.results;
  const rows: unknown[][] = RESULT_LABELS.map(([k, label]) => [label, r[k].count, percent(r[k].rate)]);
  const figures: Array<Array<string | undefined>> = RESULT_LABELS.map(([k]) => [undefined, `results.${k}.count`, `results.${k}.rate`]);
  rows.push(['click-through (unique clicks / delivered)', '', percent(r.click_through)], ['click-to-open (unique clicks / unique opens)', '', percent(r.click_to_open)], ['total clicks (human)', r.total_clicks, '']);
  figures.push([undefined, undefined, 'results.click_through'], [undefined, undefined, 'results.click_to_open'], [undefined, 'results.total_clicks', undefined]);
  return table(['figure', 'count', 'rate'], rows, figures);
}

/** A/B tests: each variant's rows, sends and the test's metric (held rows: no variant yet). */
function variantsTable(s: CampaignStatus): string {
  const vs = s.variants ?? [];
  const metric = vs.find((v) => v.metric)?.metric?.name;
  const headers = ['variant', 'recipients', 'sent', ...(metric ? [metric, `${metric} rate`, 'leads'] : [])];
  const rows = vs.map((v) => [v.variant, v.recipients, v.counts.sent, ...(metric ? [v.metric?.count ?? '', v.metric ? percent(v.metric.rate) : '', v.metric?.leads ? 'yes' : ''] : [])]);
  const figures = vs.map((_v, i) => [`variants.${i}.variant`, `variants.${i}.recipients`, `variants.${i}.counts.sent`, ...(metric && vs[i]!.metric ? [`variants.${i}.metric.count`, `variants.${i}.metric.rate`, undefined] : [])]);
  return `<h2>A/B test (variants)</h2>${table(headers, rows, figures)}`;
}

function linksTable(links: LinkStats[]): string {
  return table(
    ['link', 'clicks', 'unique clicks', 'machine clicks'],
    links.map((l) => [l.url, l.clicks, l.unique_clicks, l.machine_clicks]),
  );
}

const CSS = `body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:820px;color:#111;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:2rem 0 .5rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #eee;word-break:break-all}
td[data-figure]{font-variant-numeric:tabular-nums}svg{width:100%;height:auto;font-size:12px}.legend{display:flex;gap:1rem;margin:.25rem 0}
.key i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}.empty{color:#777}.meta{color:#555}`;

/** The whole page as one string (it is small: a campaign's figures, links and hours, never its recipients). */
export async function htmlReport(deps: Pick<CampaignDeps, 'store' | 'repos'>, name: string, generatedAt: number): Promise<string> {
  const c = await getCampaign(deps, name);
  const s = await campaignStatus(deps, name);
  const [hours, links] = await Promise.all([deps.repos.results.timeline(c.id), deps.repos.results.links(c.id)]);
  const senders = Object.entries(s.by_sender);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(s.campaign)}: campaign report</title><style>${CSS}</style></head>
<body>
<h1>${esc(s.campaign)}</h1>
<p class="meta">${esc(s.channel)} via ${esc(s.provider)} · state <span data-figure="state">${esc(s.state)}</span> · <span data-figure="recipients">${s.recipients}</span> recipients · started ${esc(s.timings.started_at ?? '–')} · report of ${esc(new Date(generatedAt).toISOString())}</p>
<h2>Results</h2>${figuresTable(s)}
${s.variants ? variantsTable(s) : ''}
<h2>Funnel</h2>${funnelSvg(s)}
<h2>Timeline (per hour, UTC)</h2>${timelineSvg(hours)}
<h2>Links</h2>${linksTable(links)}
<h2>By sender</h2>${table(['sender', 'sent'], senders, senders.map(([k]) => [undefined, `by_sender.${k}`]))}
<h2>Errors by code</h2>${table(['code', 'state', 'count', 'sample'], s.errors.map((e) => [e.code, e.state, e.count, e.sample]))}
</body></html>
`;
}
